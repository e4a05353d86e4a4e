package challenge_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/challenge"
)

// javaEncrypt does what the seed's Java sample does: parse the base64
// X.509 key, Cipher.getInstance("RSA") (= RSA/ECB/PKCS1Padding), base64.
func javaEncrypt(t *testing.T, key, password string) string {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, pub.(*rsa.PublicKey), []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(ct)
}

func TestDecrypt(t *testing.T) {
	k, err := challenge.NewKey(2048, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pub := k.PublicKey().(*rsa.PublicKey)
	oaep, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte("test123"), nil)
	pkcs := javaEncrypt(t, k.Public, "test123")
	oaepB64 := base64.StdEncoding.EncodeToString(oaep)
	tests := []struct {
		name, in string
		scheme   challenge.Scheme
		ok       bool
	}{
		{"java pkcs1v15", pkcs, challenge.PKCS1v15, true},
		{"wrapped in lines", pkcs[:40] + "\n" + pkcs[40:], challenge.PKCS1v15, true},
		{"oaep sha256", oaepB64, challenge.OAEPSHA256, true},
		{"oaep sent as pkcs1v15", oaepB64, challenge.PKCS1v15, false},
		{"pkcs1v15 sent as oaep", pkcs, challenge.OAEPSHA256, false},
		{"unknown scheme", pkcs, "rsa-none", false},
		{"not base64", "!!!", challenge.PKCS1v15, false},
		{"short", base64.StdEncoding.EncodeToString([]byte("abc")), challenge.PKCS1v15, false},
		{"random block", base64.StdEncoding.EncodeToString(make([]byte, 256)), challenge.PKCS1v15, false},
	}
	for _, tc := range tests {
		pt, err := k.Decrypt(tc.in, tc.scheme)
		if tc.ok && (err != nil || string(pt) != "test123") {
			t.Errorf("%s: got %q, %v", tc.name, pt, err)
		}
		if !tc.ok && !errors.Is(err, challenge.ErrDecrypt) {
			t.Errorf("%s: got %v, want ErrDecrypt", tc.name, err)
		}
	}
	other, _ := challenge.NewKey(2048, time.Now())
	if _, err := other.Decrypt(pkcs, challenge.PKCS1v15); err == nil {
		t.Error("another key decrypted the ciphertext")
	}
	if _, err := challenge.NewKey(1024, time.Now()); err == nil {
		t.Error("a 1024-bit key was made")
	}
}

func TestRotation(t *testing.T) {
	now := time.Unix(1000, 0)
	ks, err := challenge.NewKeys(2048, time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	first := ks.Current()
	ct := javaEncrypt(t, first.Public, "pw")
	now = now.Add(59 * time.Minute)
	if err := ks.RotateIfDue(); err != nil || ks.Current() != first {
		t.Fatal("rotated early")
	}
	now = now.Add(time.Minute)
	if err := ks.RotateIfDue(); err != nil || ks.Current() == first {
		t.Fatal("did not rotate")
	}
	// A connection that holds the previous key still decrypts with it.
	if pt, err := first.Decrypt(ct, challenge.PKCS1v15); err != nil || string(pt) != "pw" {
		t.Errorf("previous key: %q, %v", pt, err)
	}
}
