package challenge

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"testing"
	"time"
)

// TestDraftVectors decrypts the test vectors of the implicit rejection
// draft (draft-irtf-cfrg-rsa-guidance, appendix B.1: a 2048-bit key, valid
// ciphertexts, and ciphertexts whose padding fails each way) and gets the
// draft's plaintexts, synthetic ones included, byte for byte: what OpenSSL
// 3.2 and the other implementations of the draft return.
func TestDraftVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/draft-b1-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	k, err := newKey(priv.(*rsa.PrivateKey), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, err = os.ReadFile("testdata/draft-b1-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct{ Name, Ciphertext, Plaintext string }
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) != 12 {
		t.Fatalf("%d vectors, want the draft's 12", len(vectors))
	}
	for _, v := range vectors {
		ct, err := hex.DecodeString(v.Ciphertext)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := k.Decrypt(base64.StdEncoding.EncodeToString(ct), PKCS1v15)
		if got := hex.EncodeToString(pt); err != nil || got != v.Plaintext {
			t.Errorf("%s: got %s, %v; want %s", v.Name, got, err, v.Plaintext)
		}
	}
}
