package wireclient_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/wire/wireclient"
)

// serverKey is one server key pair for the whole test binary (generating
// RSA keys is slow).
var serverKey = sync.OnceValues(func() (*challenge.Key, error) { return challenge.NewKey(challenge.MinBits, time.Now()) })

// newServerKey is the server's key, failing the test if it cannot be made.
func newServerKey(t *testing.T) *challenge.Key {
	t.Helper()
	k, err := serverKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// clientKey is the client's view of the server's key, encrypting with enc.
func clientKey(t *testing.T, enc string) *wireclient.Key {
	t.Helper()
	k, err := wireclient.ParseKey(newServerKey(t).Public, enc)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// decrypt is what the server does with a field of a request that says enc.
func decrypt(t *testing.T, enc, field string) string {
	t.Helper()
	scheme, err := challenge.ParseScheme(enc)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := newServerKey(t).Decrypt(field, scheme)
	if err != nil {
		t.Fatal(err)
	}
	return string(pt)
}

func TestParseKey(t *testing.T) {
	ec, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(ec.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name, key, enc string
		want           error
	}{
		{"the seed's padding", newServerKey(t).Public, wire.EncPKCS1v15, nil},
		{"oaep", newServerKey(t).Public, wire.EncOAEPSHA256, nil},
		{"unknown padding", newServerKey(t).Public, "rsa-none", wireclient.ErrUnknownEnc},
		{"empty", "", wire.EncPKCS1v15, wireclient.ErrBadKey},
		{"not base64", "!!!", wire.EncPKCS1v15, wireclient.ErrBadKey},
		{"not a key", b64([]byte("not DER")), wire.EncPKCS1v15, wireclient.ErrBadKey},
		{"not RSA", b64(der), wire.EncOAEPSHA256, wireclient.ErrBadKey},
	}
	for _, tc := range tests {
		k, err := wireclient.ParseKey(tc.key, tc.enc)
		if !errors.Is(err, tc.want) || (err == nil) != (k != nil) {
			t.Errorf("%s: got %v, %v; want %v", tc.name, k, err, tc.want)
		}
		if err == nil && k.Enc() != tc.enc {
			t.Errorf("%s: Enc() = %q, want %q", tc.name, k.Enc(), tc.enc)
		}
	}
}

// TestEncryptRoundTrip: what the client encrypts, the server's challenge
// key decrypts to the same secret, with either padding; a secret too long
// for one block fails without showing itself.
func TestEncryptRoundTrip(t *testing.T) {
	tests := []struct {
		enc, secret string
		ok          bool
	}{
		{wire.EncPKCS1v15, "test123", true},
		{wire.EncPKCS1v15, "pässwörd ✓", true},
		{wire.EncPKCS1v15, "", true},
		{wire.EncPKCS1v15, strings.Repeat("p", 245), true},
		{wire.EncPKCS1v15, strings.Repeat("p", 246), false},
		{wire.EncOAEPSHA256, "test123", true},
		{wire.EncOAEPSHA256, "pässwörd ✓", true},
		{wire.EncOAEPSHA256, strings.Repeat("p", 190), true},
		{wire.EncOAEPSHA256, strings.Repeat("p", 191), false},
	}
	for _, tc := range tests {
		ct, err := clientKey(t, tc.enc).Encrypt(tc.secret)
		switch {
		case (err == nil) != tc.ok:
			t.Errorf("%q, %d bytes: got %v", tc.enc, len(tc.secret), err)
		case err != nil && strings.Contains(err.Error(), tc.secret):
			t.Errorf("%q: the error shows the secret: %v", tc.enc, err)
		case err == nil && decrypt(t, tc.enc, ct) != tc.secret:
			t.Errorf("%q, %.20q: the server decrypts %q", tc.enc, tc.secret, decrypt(t, tc.enc, ct))
		}
	}
}

// TestRequests: each request has its type, user and padding, its secrets
// encrypted (the server decrypts them) and nothing else in the clear but
// what the protocol sends so.
func TestRequests(t *testing.T) {
	type build func(k *wireclient.Key) (wire.Request, error)
	tests := []struct {
		name  string
		build build
		// want is the request with its secrets in the clear.
		want wire.Request
	}{
		{"login", func(k *wireclient.Key) (wire.Request, error) { return k.Login("trader", "pw", "123456") },
			wire.Request{Type: wire.TypeLogin, UserID: "trader", Pass: "pw", TwoFAToken: "123456"}},
		{"login without a passcode", func(k *wireclient.Key) (wire.Request, error) { return k.Login("trader", "pw", "") },
			wire.Request{Type: wire.TypeLogin, UserID: "trader", Pass: "pw"}},
		{"verifylogin", func(k *wireclient.Key) (wire.Request, error) { return k.VerifyLogin("trader", "pw", "123456") },
			wire.Request{Type: wire.TypeVerifyLogin, UserID: "trader", Pass: "pw", TwoFAToken: "123456"}},
		{"enrol", func(k *wireclient.Key) (wire.Request, error) { return k.Enrol("trader", "pw", "12345678") },
			wire.Request{Type: wire.TypeEnrol, UserID: "trader", Pass: "pw", Passcode: "12345678"}},
		{"enrol with one swipe", func(k *wireclient.Key) (wire.Request, error) { return k.EnrolOneSwipe("trader", "KRSXG5CT") },
			wire.Request{Type: wire.TypeEnrol, UserID: "trader", OneSwipe: "KRSXG5CT"}},
		{"answers", func(k *wireclient.Key) (wire.Request, error) { return k.Answers(map[int]string{5: "blue", 3: "rome"}) },
			wire.Request{Type: wire.TypeAnswers, Answers: []wire.Answer{{ID: 3, Answer: "rome"}, {ID: 5, Answer: "blue"}}}},
	}
	for _, enc := range []string{wire.EncPKCS1v15, wire.EncOAEPSHA256} {
		for _, tc := range tests {
			got, err := tc.build(clientKey(t, enc))
			if err != nil {
				t.Fatalf("%s, %q: %v", tc.name, enc, err)
			}
			want := tc.want
			want.Enc = enc
			if g, w := onWire(t, inClear(t, got)), onWire(t, want); g != w {
				t.Errorf("%s, %q: got %s, want %s", tc.name, enc, g, w)
			}
		}
	}
}

// inClear is r with every encrypted field decrypted as the server would.
func inClear(t *testing.T, r wire.Request) wire.Request {
	t.Helper()
	for _, f := range []*string{&r.Pass, &r.NewPass, &r.Passcode, &r.OneSwipe} {
		if *f != "" {
			*f = decrypt(t, r.Enc, *f)
		}
	}
	r.Answers = append([]wire.Answer(nil), r.Answers...)
	for i := range r.Answers {
		r.Answers[i].Answer = decrypt(t, r.Enc, r.Answers[i].Answer)
	}
	return r
}

// onWire is v as JSON, as it goes on the wire.
func onWire(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLoginShape: a login with the seed's padding is the seed's message,
// field for field (a server written to the seed reads nothing else).
func TestLoginShape(t *testing.T) {
	r, err := clientKey(t, wire.EncPKCS1v15).Login("trader", "pw", "123456")
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]string
	b, _ := json.Marshal(r)
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	if got, want := len(fields), 4; got != want || fields["type"] != "login" || fields["userid"] != "trader" || fields["pass"] == "" || fields["2fatoken"] != "123456" {
		t.Errorf("got %s, want the fields type, userid, pass and 2fatoken", b)
	}
}
