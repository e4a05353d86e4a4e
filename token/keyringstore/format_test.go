package keyringstore

import (
	"reflect"
	"testing"
)

func TestCheckFormat(t *testing.T) {
	tests := []struct {
		got  string
		want error
	}{
		{tokenFormat, nil},
		{"softtoken-token/2", errNewer},
		{"softtoken-index/1", errForeign},
		{"", errForeign},
		{"other-app/1", errForeign},
	}
	for _, tc := range tests {
		if err := checkFormat(tc.got, tokenFormat); err != tc.want {
			t.Errorf("checkFormat(%q): got %v, want %v", tc.got, err, tc.want)
		}
	}
}

// FuzzDecode feeds keyring entries that another program may have written:
// decoding never panics, and whatever decodes encodes back to the same token.
func FuzzDecode(f *testing.F) {
	f.Add(`{"format":"softtoken-index/1","tokens":["0123456789abcdef"],"pending":["fedcba9876543210"]}`)
	f.Add(`{"format":"softtoken-token/1","label":"a","type":"totp","algorithm":"SHA1","digits":6,"period":30,"secret":"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}`)
	f.Add(`{"format":"softtoken-token/1","label":"h","type":"hotp","algorithm":"SHA512","digits":8,"counter":7,"secret":"GEZDGNBVGY3TQOJQ"}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, raw string) {
		if idx, err := decodeIndex(raw); err == nil {
			enc, err := encodeIndex(idx)
			if err != nil {
				t.Fatal(err)
			}
			again, err := decodeIndex(enc)
			if err != nil || !reflect.DeepEqual(again, idx) {
				t.Fatalf("index round trip: %v\n%+v\n%+v", err, idx, again)
			}
		}
		tok, err := decodeItem(raw)
		if err != nil {
			return
		}
		enc, err := encodeItem(tok)
		if err != nil {
			return // valid but over the size limit: refused on write, fine
		}
		again, err := decodeItem(enc)
		if err != nil || !reflect.DeepEqual(again, tok) {
			t.Fatalf("token round trip: %v\n%#v\n%#v", err, tok, again)
		}
	})
}
