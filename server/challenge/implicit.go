package challenge

import (
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
)

// Implicit rejection: a ciphertext whose padding does not check decrypts
// to a synthetic plaintext rather than to an error, so that no answer of
// the server can tell the two apart (RFC 8017, the note to section 7.2.2;
// the IRTF draft "Implicit Rejection for RSA PKCS#1 v1.5", now
// draft-irtf-cfrg-rsa-guidance, section 7, as OpenSSL 3.2 does it):
//
//	KDK       = HMAC-SHA256(SHA-256(d as k bytes), ciphertext)
//	message   = PRF(KDK, "message", k bytes)
//	length    = the last of 128 16-bit candidates of PRF(KDK, "length"),
//	            masked, that is at most the scheme's longest plaintext
//	synthetic = the last length bytes of message
//
// The same ciphertext under the same key always gives the same synthetic
// plaintext, so a retry tells nothing either; for PKCS#1 v1.5 the output
// is the draft's, byte for byte (tested with its vectors). OAEP gets the
// same treatment against Manger's attack, with OAEP's longest plaintext.

// lengthTries is how many candidate lengths the draft draws: with 2^-128
// odds that none fits, the length needs no loop that ends on a secret.
const lengthTries = 128

// derivationKey is the key-derivation key of priv: SHA-256 of its private
// exponent, big-endian, in as many bytes as the modulus.
func derivationKey(priv *rsa.PrivateKey) []byte {
	d := priv.D.FillBytes(make([]byte, priv.Size()))
	sum := sha256.Sum256(d)
	clear(d)
	return sum[:]
}

// pkcs1v15 decrypts ct as PKCS#1 v1.5, or gives its synthetic plaintext.
func (k *Key) pkcs1v15(ct []byte) []byte {
	return k.open(ct, k.priv.Size()-11, func() ([]byte, error) {
		//lint:ignore SA1019 the protocol's Java clients send PKCS#1 v1.5.
		return rsa.DecryptPKCS1v15(nil, k.priv, ct)
	})
}

// oaep decrypts ct as OAEP-SHA256, or gives its synthetic plaintext.
func (k *Key) oaep(ct []byte) []byte {
	return k.open(ct, k.priv.Size()-2*sha256.Size-2, func() ([]byte, error) {
		return rsa.DecryptOAEP(sha256.New(), nil, k.priv, ct, nil)
	})
}

// open runs decrypt, whose plaintexts are at most longest bytes, and returns
// its plaintext, or ct's synthetic one when it fails. The synthetic one is
// made first, every time. A ciphertext that is not one block long is
// publicly wrong: it gets its synthetic plaintext without an RSA
// operation.
func (k *Key) open(ct []byte, longest int, decrypt func() ([]byte, error)) []byte {
	synthetic := k.synthetic(ct, longest)
	if len(ct) != k.priv.Size() {
		return synthetic
	}
	pt, err := decrypt()
	return choose(err == nil, pt, synthetic, longest)
}

// choose returns pt if ok and synthetic if not, both at most n bytes,
// with crypto/subtle rather than a branch. Go's RSA decryptions check the
// padding in constant time and report it only as their error; ok is read
// from that error once, and from there it is a mask. What remains is the
// copy of pt, as long as pt (nothing when the padding is bad): a few
// nanoseconds against the millisecond of the RSA operation.
func choose(ok bool, pt, synthetic []byte, n int) []byte {
	mask := 0
	if ok {
		mask = 1
	}
	out := make([]byte, n)
	copy(out[n-len(synthetic):], synthetic)
	plain := make([]byte, n)
	copy(plain[n-len(pt):], pt)
	subtle.ConstantTimeCopy(mask, out, plain)
	clear(plain)
	return out[n-subtle.ConstantTimeSelect(mask, len(pt), len(synthetic)):]
}

// synthetic is the plaintext that stands for ct when ct does not decrypt:
// at most longest bytes.
func (k *Key) synthetic(ct []byte, longest int) []byte {
	m := hmac.New(sha256.New, k.kdk)
	m.Write(ct)
	kdk := m.Sum(nil)
	size := k.priv.Size()
	message := prf(kdk, "message", size)
	candidates := prf(kdk, "length", 2*lengthTries)
	mask := longest + 1
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	n := 0
	for i := 0; i < len(candidates); i += 2 {
		c := (int(candidates[i])<<8 | int(candidates[i+1])) & mask
		n = subtle.ConstantTimeSelect(subtle.ConstantTimeLessOrEq(c, longest), c, n)
	}
	return message[size-n:]
}

// prf is the draft's pseudo-random function: n bytes of HMAC-SHA256(key,
// I || label || L) for I = 0, 1, …, where I and the output's length in
// bits L are 2-byte big-endian numbers.
func prf(key []byte, label string, n int) []byte {
	out := make([]byte, 0, n+sha256.Size)
	m := hmac.New(sha256.New, key)
	bits := []byte{byte(n * 8 >> 8), byte(n * 8)}
	for i := 0; len(out) < n; i++ {
		m.Reset()
		m.Write([]byte{byte(i >> 8), byte(i)})
		m.Write([]byte(label))
		m.Write(bits)
		out = m.Sum(out)
	}
	return out[:n]
}
