package radius

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"testing"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
)

const fuzzSecret = "a-shared-secret-of-the-fuzzer"

// signedSeed is an Access-Request of user and password pw (and State st,
// unless nil) signed with fuzzSecret, as a client sends it.
func signedSeed(user, pw string, st []byte) []byte {
	p := radius.New(radius.CodeAccessRequest, []byte(fuzzSecret))
	_ = rfc2865.UserName_SetString(p, user)
	_ = rfc2865.UserPassword_SetString(p, pw)
	if st != nil {
		_ = rfc2865.State_Set(p, st)
	}
	ma := make(radius.Attribute, lenMessageAuthenticator)
	p.Add(typeMessageAuthenticator, ma)
	b, _ := p.MarshalBinary()
	mac := hmac.New(md5.New, []byte(fuzzSecret))
	mac.Write(b)
	copy(ma, mac.Sum(nil))
	b, _ = p.Encode()
	return b
}

// resigned is b with the value of its first attribute that has the
// Message-Authenticator's type and length set to the right HMAC, so that
// the fuzzer reaches past the check with packets of its own making.
func resigned(b []byte) []byte {
	b = bytes.Clone(b)
	for i := 20; i+2 <= len(b) && b[i+1] >= 2; i += int(b[i+1]) {
		if b[i] == typeMessageAuthenticator && b[i+1] == 2+lenMessageAuthenticator && i+2+lenMessageAuthenticator <= len(b) {
			clear(b[i+2 : i+2+lenMessageAuthenticator])
			n := len(b)
			if len(b) >= 4 {
				n = min(n, int(b[2])<<8|int(b[3]))
			}
			mac := hmac.New(md5.New, []byte(fuzzSecret))
			mac.Write(b[:max(n, i+2+lenMessageAuthenticator)])
			copy(b[i+2:], mac.Sum(nil))
			return b
		}
	}
	return b
}

// FuzzPacket feeds datagrams to the parsing path of every request
// (parseRequest: the length, the code, the Message-Authenticator, the
// attributes) and reads what an accepted one carries as decide does. It
// never panics; a request it accepts is exactly the bytes it came in
// (nothing after its length), carries one right Message-Authenticator,
// and its signed Reject is one a client accepts.
func FuzzPacket(f *testing.F) {
	f.Add(signedSeed("trader", "trader-pass", nil), true)
	f.Add(signedSeed("trader", "123456", bytes.Repeat([]byte{7}, stateLen)), false)
	f.Add(signedSeed("", "", nil), true)
	f.Add(signedSeed("trader", string(bytes.Repeat([]byte("p"), 128)), nil), false)
	unsigned := radius.New(radius.CodeAccessRequest, []byte(fuzzSecret))
	_ = rfc2865.UserName_SetString(unsigned, "trader")
	b, _ := unsigned.Encode()
	f.Add(b, false)
	f.Add([]byte{1, 0, 0, 20}, true)
	f.Fuzz(func(t *testing.T, b []byte, sign bool) {
		if sign {
			b = resigned(b)
		}
		p, result := parseRequest(b, []byte(fuzzSecret))
		if p == nil {
			if result == "" {
				t.Fatal("a dropped request has no reason")
			}
			return
		}
		wire, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("an accepted request does not encode again: %v", err)
		}
		if n := len(wire); n > len(b) || !bytes.Equal(wire, b[:n]) {
			t.Fatal("an accepted request is not the bytes that came in")
		}
		if err := checkAuthenticator(wire, []byte(fuzzSecret)); err != nil {
			t.Fatalf("an accepted request: %v", err)
		}
		_ = rfc2865.UserName_GetString(p)
		_, _ = rfc2865.UserPassword_Lookup(p)
		_, _ = rfc2865.State_Lookup(p)
		if pw, err := rfc2865.UserPassword_Lookup(p); err == nil {
			splitPasscode(pw)
		}
		out, err := encodeSigned(p.Response(radius.CodeAccessReject))
		if err != nil {
			t.Fatalf("the answer: %v", err)
		}
		if !radius.IsAuthenticResponse(out, wire, []byte(fuzzSecret)) {
			t.Fatal("the answer's Response Authenticator is wrong")
		}
	})
}
