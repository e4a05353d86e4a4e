package wire_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/wire"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    error
		wantTyp string
	}{
		{`{"type":"challenge"}`, nil, "challenge"},
		{`{"type":"login","userid":"USER","pass":"abc=","2fatoken":"123456"}`, nil, "login"},
		{`{"type":"adduser","userid":"u","roles":"XXSSS","updateprof":true,"firm":"FINT","resetpass":true,"pass":"","newpass":"x","attr":{"email":"e"}}`, nil, "adduser"},
		{`{"type":"frob"}`, wire.ErrUnknownType, "frob"},
		{`{}`, wire.ErrUnknownType, ""},
		{`not json`, wire.ErrMalformed, ""},
		{`{"type":"login"} {"type":"login"}`, wire.ErrMalformed, ""},
		{`{"type":"login","updateprof":"yes"}`, wire.ErrMalformed, ""},
		{`{"type":"adduser","attr":"x"}`, wire.ErrMalformed, ""},
		{`[]`, wire.ErrMalformed, ""},
		{`{"type":"login","pass":"` + strings.Repeat("A", wire.MaxMessageBytes) + `"}`, wire.ErrTooBig, ""},
	}
	for _, tc := range tests {
		got, err := wire.Decode([]byte(tc.in))
		if !errors.Is(err, tc.want) || got.Type != tc.wantTyp {
			t.Errorf("Decode(%.60s): got %q, %v; want %q, %v", tc.in, got.Type, err, tc.wantTyp, tc.want)
		}
	}
}

func TestErrorsDoNotEchoInput(t *testing.T) {
	_, err := wire.Decode([]byte(`{"type":"login","pass":"SECRETCIPHER"`))
	if err == nil || strings.Contains(err.Error(), "SECRETCIPHER") {
		t.Errorf("got %v", err)
	}
}

func TestResponseShape(t *testing.T) {
	zero := 0
	b, _ := json.Marshal(wire.Response{Type: "verifylogin", Result: wire.ResultOK, Active: "Y", UserID: "j", VerifyLevel: &zero})
	if got, want := string(b), `{"type":"verifylogin","result":"OK","userid":"j","active":"Y","verify_level":0}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// FuzzDecode: no message crashes the decoder, and an accepted one has a
// known type.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"type":"challenge"}`, `{"type":"login","userid":"u","pass":"p","2fatoken":"1"}`, `{"type":"adduser","attr":{"a":1},"use2fa":"Y"}`, `{`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := wire.Decode(data)
		if err == nil && r.Type == "" {
			t.Fatal("accepted a message without a type")
		}
	})
}
