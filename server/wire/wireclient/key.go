// Package wireclient is the client's half of the websocket protocol
// (docs/protocol.md): the challenge's key parsed, every secret encrypted
// with it as the protocol says, the requests that carry them built, and one
// request at a time sent over a socket the caller dialled.
//
// It is the one protocol client of this repository: the desktop app's
// enrolment client (enrolclient), the server's test client (servertest)
// and the load generator (stress) wrap it, each with its own concerns
// (proxies and user-facing errors; test helpers; bounded load). It imports
// only the wire format, so the desktop app gets no server code through it,
// and the server never imports it.
package wireclient

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/softtoken/softtoken/server/wire"
)

// The errors of this package; each is wrapped with what was being done.
var (
	// ErrBadKey: a challenge key that cannot encrypt (not base64, not an
	// X.509 SubjectPublicKeyInfo, or not an RSA key).
	ErrBadKey = errors.New("unusable challenge key")
	// ErrUnknownEnc: a padding that is neither wire.EncPKCS1v15 nor
	// wire.EncOAEPSHA256.
	ErrUnknownEnc = errors.New("unknown RSA padding")
	// ErrRefused: a challenge the server answered with a result other
	// than OK (too many requests, say); the reply says which.
	ErrRefused = errors.New("challenge refused")
	// ErrNoChallenge: a request that needs the challenge's key, sent
	// before Challenge succeeded.
	ErrNoChallenge = errors.New("no challenge key yet")
)

// Key is the public key a challenge handed out, with the padding this
// client encrypts under. It encrypts every secret the connection sends;
// the server decrypts with the private half it kept for the connection.
type Key struct {
	pub *rsa.PublicKey
	enc string
}

// ParseKey reads a challenge's key (wire.Response.Key: base64 of an X.509
// SubjectPublicKeyInfo, what Java's X509EncodedKeySpec reads) for
// encrypting with the padding enc (wire.EncPKCS1v15, the seed's, or
// wire.EncOAEPSHA256). Its errors wrap ErrBadKey or ErrUnknownEnc.
func ParseKey(b64, enc string) (*Key, error) {
	if enc != wire.EncPKCS1v15 && enc != wire.EncOAEPSHA256 {
		return nil, fmt.Errorf("%w %q", ErrUnknownEnc, enc)
	}
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: decode: %v", ErrBadKey, err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: parse: %v", ErrBadKey, err)
	}
	key, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: a %T, not an RSA key", ErrBadKey, pub)
	}
	return &Key{pub: key, enc: enc}, nil
}

// Enc is the padding the key encrypts with: what a request's "enc" says.
func (k *Key) Enc() string { return k.enc }

// Encrypt encrypts a secret (a password, passcode, answer or One Swipe
// code) as the protocol sends it: its UTF-8 bytes under the key with the
// key's padding, in standard base64. It fails only for a secret too long
// for one RSA block (over 245 bytes with PKCS#1 v1.5 and a 2048-bit key,
// 190 with OAEP); the error says nothing of the secret, not even its
// length.
func (k *Key) Encrypt(secret string) (string, error) {
	var ct []byte
	var err error
	if k.enc == wire.EncOAEPSHA256 {
		ct, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, k.pub, []byte(secret), nil)
	} else {
		//lint:ignore SA1019 the protocol's Java clients send PKCS#1 v1.5.
		ct, err = rsa.EncryptPKCS1v15(rand.Reader, k.pub, []byte(secret))
	}
	if err != nil {
		return "", fmt.Errorf("encrypt: %w", err)
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// Login is a login request: the password encrypted, the passcode ("" for
// none) in the clear, as the protocol sends it.
func (k *Key) Login(userID, password, passcode string) (wire.Request, error) {
	return k.withPassword(wire.TypeLogin, userID, password, passcode)
}

// VerifyLogin is a back-end's verifylogin request for userID, encrypted
// like Login.
func (k *Key) VerifyLogin(userID, password, passcode string) (wire.Request, error) {
	return k.withPassword(wire.TypeVerifyLogin, userID, password, passcode)
}

func (k *Key) withPassword(typ, userID, password, passcode string) (wire.Request, error) {
	pass, err := k.Encrypt(password)
	if err != nil {
		return wire.Request{}, fmt.Errorf("%s: the password: %w", typ, err)
	}
	return wire.Request{Type: typ, UserID: userID, Pass: pass, Enc: k.enc, TwoFAToken: passcode}, nil
}

// Enrol is an enrol request proved with the password and a passcode, both
// encrypted.
func (k *Key) Enrol(userID, password, passcode string) (wire.Request, error) {
	req := wire.Request{Type: wire.TypeEnrol, UserID: userID, Enc: k.enc}
	var err error
	if req.Pass, err = k.Encrypt(password); err != nil {
		return wire.Request{}, fmt.Errorf("enrol: the password: %w", err)
	}
	if req.Passcode, err = k.Encrypt(passcode); err != nil {
		return wire.Request{}, fmt.Errorf("enrol: the passcode: %w", err)
	}
	return req, nil
}

// EnrolOneSwipe is an enrol request proved with the secret of a One Swipe
// enrolment code, encrypted, instead of a password and passcode.
func (k *Key) EnrolOneSwipe(userID, code string) (wire.Request, error) {
	enc, err := k.Encrypt(code)
	if err != nil {
		return wire.Request{}, fmt.Errorf("enrol: the one swipe code: %w", err)
	}
	return wire.Request{Type: wire.TypeEnrol, UserID: userID, OneSwipe: enc, Enc: k.enc}, nil
}

// Answers is an answers request: each security answer, by question ID,
// encrypted, in the order of the IDs.
func (k *Key) Answers(answers map[int]string) (wire.Request, error) {
	req := wire.Request{Type: wire.TypeAnswers, Enc: k.enc}
	for _, id := range slices.Sorted(maps.Keys(answers)) {
		enc, err := k.Encrypt(answers[id])
		if err != nil {
			return wire.Request{}, fmt.Errorf("answers: the answer to question %d: %w", id, err)
		}
		req.Answers = append(req.Answers, wire.Answer{ID: id, Answer: enc})
	}
	return req, nil
}
