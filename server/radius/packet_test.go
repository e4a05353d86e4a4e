package radius_test

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"net/netip"
	"testing"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	radiusdoor "github.com/softtoken/softtoken/server/radius"
)

// request is the wire form of an Access-Request of user with password pw
// (and State st, unless nil) under sec, with a right Message-Authenticator
// unless unsigned.
func request(t testing.TB, sec, user, pw string, st []byte, unsigned bool) []byte {
	t.Helper()
	p := radius.New(radius.CodeAccessRequest, []byte(sec))
	if err := rfc2865.UserName_SetString(p, user); err != nil {
		t.Fatal(err)
	}
	if err := rfc2865.UserPassword_SetString(p, pw); err != nil {
		t.Fatal(err)
	}
	if st != nil {
		_ = rfc2865.State_Set(p, st)
	}
	if unsigned {
		b, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return sign(t, p)
}

// sign is the wire form of the request p with a right
// Message-Authenticator.
func sign(t testing.TB, p *radius.Packet) []byte {
	t.Helper()
	ma := make(radius.Attribute, 16)
	p.Add(80, ma)
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(md5.New, p.Secret)
	mac.Write(b)
	copy(ma, mac.Sum(nil))
	if b, err = p.Encode(); err != nil {
		t.Fatal(err)
	}
	return b
}

// answer is the answer out to the request req under sec, checked as a
// client checks it: its Response Authenticator and its
// Message-Authenticator (first among its attributes) must be right.
func answer(t testing.TB, sec string, req, out []byte) *radius.Packet {
	t.Helper()
	if out == nil {
		return nil
	}
	if !radius.IsAuthenticResponse(out, req, []byte(sec)) {
		t.Fatal("the answer's Response Authenticator is wrong")
	}
	if len(out) < 38 || out[20] != 80 || out[21] != 18 {
		t.Fatal("the answer does not begin with a Message-Authenticator")
	}
	zeroed := append([]byte(nil), out...)
	copy(zeroed[4:20], req[4:20])
	clear(zeroed[22:38])
	mac := hmac.New(md5.New, []byte(sec))
	mac.Write(zeroed)
	if !hmac.Equal(mac.Sum(nil), out[22:38]) {
		t.Fatal("the answer's Message-Authenticator is wrong")
	}
	p, err := radius.Parse(out, []byte(sec))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// handled is Handle of req from from, answered under sec.
func handled(t testing.TB, srv *radiusdoor.Server, from, sec string, req []byte) *radius.Packet {
	t.Helper()
	return answer(t, sec, req, srv.Handle(context.Background(), req, netip.MustParseAddrPort(from)))
}

// code is p's code, "none" for no answer.
func code(p *radius.Packet) string {
	if p == nil {
		return "none"
	}
	return p.Code.String()
}
