package challenge_test

import (
	"bytes"
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
	//lint:ignore SA1019 the protocol's Java clients send PKCS#1 v1.5.
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
	oaep, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte("test123"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pkcs := javaEncrypt(t, k.Public, "test123")
	oaepB64 := base64.StdEncoding.EncodeToString(oaep)
	other, err := challenge.NewKey(2048, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in string
		scheme   challenge.Scheme
		key      *challenge.Key
		// ok: the plaintext is test123; otherwise a synthetic one, at
		// most longest bytes.
		ok      bool
		longest int
	}{
		{"java pkcs1v15", pkcs, challenge.PKCS1v15, k, true, 0},
		{"wrapped in lines", pkcs[:40] + "\n" + pkcs[40:], challenge.PKCS1v15, k, true, 0},
		{"oaep sha256", oaepB64, challenge.OAEPSHA256, k, true, 0},
		{"oaep sent as pkcs1v15", oaepB64, challenge.PKCS1v15, k, false, 245},
		{"pkcs1v15 sent as oaep", pkcs, challenge.OAEPSHA256, k, false, 190},
		{"another key's", pkcs, challenge.PKCS1v15, other, false, 245},
		{"zero block", base64.StdEncoding.EncodeToString(make([]byte, 256)), challenge.PKCS1v15, k, false, 245},
		{"not base64", "!!!", challenge.PKCS1v15, k, false, 245},
		{"short", base64.StdEncoding.EncodeToString([]byte("abc")), challenge.OAEPSHA256, k, false, 190},
	}
	for _, tc := range tests {
		pt, err := tc.key.Decrypt(tc.in, tc.scheme)
		switch {
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.ok != (string(pt) == "test123"):
			t.Errorf("%s: got %q", tc.name, pt)
		case !tc.ok && len(pt) > tc.longest:
			t.Errorf("%s: a synthetic plaintext of %d bytes, over %d", tc.name, len(pt), tc.longest)
		}
		if again, _ := tc.key.Decrypt(tc.in, tc.scheme); !bytes.Equal(again, pt) {
			t.Errorf("%s: decrypted again to %x, first to %x", tc.name, again, pt)
		}
	}
	if _, err := k.Decrypt(pkcs, "rsa-none"); !errors.Is(err, challenge.ErrUnknownScheme) {
		t.Errorf("unknown scheme: %v, want ErrUnknownScheme", err)
	}
	if _, err := challenge.NewKey(1024, time.Now()); err == nil {
		t.Error("a 1024-bit key was made")
	}
}

func TestParseScheme(t *testing.T) {
	for enc, want := range map[string]challenge.Scheme{"": challenge.PKCS1v15, "oaep-sha256": challenge.OAEPSHA256} {
		if got, err := challenge.ParseScheme(enc); err != nil || got != want {
			t.Errorf("%q: %q, %v", enc, got, err)
		}
	}
	for _, enc := range []string{"rsa-raw", "OAEP-SHA256", "oaep"} {
		if _, err := challenge.ParseScheme(enc); !errors.Is(err, challenge.ErrUnknownScheme) {
			t.Errorf("%q: %v, want ErrUnknownScheme", enc, err)
		}
	}
}

// Ciphertexts that do not decrypt get synthetic plaintexts (implicit
// rejection): the same for the same ciphertext and key, different for
// other ciphertexts and under other keys, of lengths spread from empty
// to the scheme's longest plaintext, as a real one's may be.
func TestSyntheticPlaintexts(t *testing.T) {
	keys := make([]*challenge.Key, 2)
	for i := range keys {
		var err error
		if keys[i], err = challenge.NewKey(2048, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	const n = 200
	for _, tc := range []struct {
		scheme  challenge.Scheme
		longest int
	}{{challenge.PKCS1v15, 245}, {challenge.OAEPSHA256, 190}} {
		seen := map[string]bool{}
		var underOther, shortest, longest, total int
		shortest = tc.longest
		for range n {
			block := make([]byte, 256)
			rand.Read(block)
			block[0] = 0 // below the modulus; the padding fails all the same
			ct := base64.StdEncoding.EncodeToString(block)
			pt, _ := keys[0].Decrypt(ct, tc.scheme)
			if again, _ := keys[0].Decrypt(ct, tc.scheme); !bytes.Equal(again, pt) {
				t.Fatalf("%q: one ciphertext, two synthetic plaintexts: %x, %x", tc.scheme, pt, again)
			}
			if o, _ := keys[1].Decrypt(ct, tc.scheme); !bytes.Equal(o, pt) {
				underOther++
			}
			seen[string(pt)] = true
			shortest, longest, total = min(shortest, len(pt)), max(longest, len(pt)), total+len(pt)
		}
		// Only two empty ones are alike; a handful is 2^-20 likely.
		if len(seen) < n-5 || underOther < n-5 {
			t.Errorf("%q: %d distinct synthetic plaintexts of %d; %d differ under another key", tc.scheme, len(seen), n, underOther)
		}
		if mean := total / n; longest > tc.longest || shortest > 20 || longest < tc.longest-20 || mean < tc.longest/4 || mean > tc.longest*3/4 {
			t.Errorf("%q: lengths %d to %d, mean %d; want them spread over 0 to %d", tc.scheme, shortest, longest, mean, tc.longest)
		}
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
