package radius_test

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"testing"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	"github.com/softtoken/softtoken/server/servertest"
)

// tampered is an Access-Request of trader's right password under sec
// with the raw attributes extra after its own; every attribute 80 of 16
// bytes among them gets the HMAC of the packet (with all of them zeroed)
// when sign is true, and the datagram gets tail after its length.
func tampered(t *testing.T, sec string, sign bool, tail []byte, extra ...[]byte) []byte {
	t.Helper()
	p := radius.New(radius.CodeAccessRequest, []byte(sec))
	_ = rfc2865.UserName_SetString(p, "trader")
	_ = rfc2865.UserPassword_SetString(p, "trader-pass")
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range extra {
		b = append(b, a...)
	}
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	var at []int
	for i := 20; i+2 <= len(b) && b[i+1] >= 2 && i+int(b[i+1]) <= len(b); i += int(b[i+1]) {
		if b[i] == 80 && b[i+1] == 18 {
			clear(b[i+2 : i+18])
			at = append(at, i+2)
		}
	}
	if sign {
		mac := hmac.New(md5.New, []byte(sec))
		mac.Write(b)
		sum := mac.Sum(nil)
		for _, i := range at {
			copy(b[i:], sum)
		}
	}
	return append(b, tail...)
}

// Message-Authenticator tricks: each is dropped unanswered, while the
// same request rightly signed (with bytes after its length, which RFC
// 2865 says to ignore) is answered.
func TestMessageAuthenticatorTricks(t *testing.T) {
	s, srv := server(t, servertest.Options{}, nil)
	enrolled(t, s, "trader")
	ma := append([]byte{80, 18}, make([]byte, 16)...)
	eap := []byte{79, 6, 2, 0, 0, 4}
	ma17 := append([]byte{80, 19}, make([]byte, 17)...)
	for _, tc := range []struct {
		name string
		req  []byte
		want string
	}{
		{"right", tampered(t, secret, true, nil, ma), "Access-Challenge"},
		{"right, bytes after the length", tampered(t, secret, true, []byte("trailing junk"), ma), "Access-Challenge"},
		{"right, with EAP-Message", tampered(t, secret, true, nil, eap, ma), "Access-Reject"},
		{"none", tampered(t, secret, true, nil), "none"},
		{"two, both right", tampered(t, secret, true, nil, ma, ma), "none"},
		{"zeroed", tampered(t, secret, false, nil, ma), "none"},
		{"17 bytes", tampered(t, secret, true, nil, ma17), "none"},
		{"another client's secret", tampered(t, secret+"2", true, nil, ma), "none"},
		{"only after the length", append(tampered(t, secret, true, nil), tampered(t, secret, true, nil, ma)[20:]...), "none"},
		{"then an attribute of length 1", tampered(t, secret, true, nil, ma, []byte{18, 1}), "none"},
		{"then one stray byte", tampered(t, secret, true, nil, ma, []byte{18}), "none"},
		{"then an attribute past the end", tampered(t, secret, true, nil, ma, []byte{18, 9, 'x'}), "none"},
	} {
		if got := code(handled(t, srv, "127.0.0.1:4000", secret, tc.req)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
