package ws_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
)

// The benchmarks compare login and verifylogin over a real websocket, with
// a real SQLite file and production argon2id costs, against their crypto
// alone (BenchmarkCryptoFloor: RSA decryption, argon2id, three HMACs for
// the ±1 window). docs/protocol.md records the ratio.
//
// The server's clock moves one minute per iteration, so every iteration
// has a fresh passcode that the replay guard accepts.

type benchServer struct {
	*servertest.Server
	tok token.Token
	// passCT and adminCT are the passwords, encrypted once under the
	// (never rotated) challenge key.
	passCT, adminCT string
}

func (b *benchServer) next() string {
	b.Clock.Advance(time.Minute)
	c, _ := b.tok.Code(b.Clock.Now())
	return c
}

func newBenchServer(tb testing.TB) *benchServer {
	tb.Helper()
	s := servertest.NewWith(tb, servertest.Options{Rules: account.Config{Hash: password.Default},
		WS: ws.Config{Connections: ratelimit.Rate{PerMinute: 1 << 30, Burst: 1 << 30}, Challenges: ratelimit.Rate{PerMinute: 1 << 30, Burst: 1 << 30}}})
	var out struct {
		Seed string `json:"2faseed"`
	}
	if err := json.Unmarshal([]byte(s.Admin("password-of-trader\n", "user", "add", "--use2fa", "trader")), &out); err != nil {
		tb.Fatal(err)
	}
	secret, err := token.ParseSecret(out.Seed)
	if err != nil {
		tb.Fatal(err)
	}
	c := s.Dial()
	defer c.Close()
	return &benchServer{Server: s, tok: token.Token{Secret: secret, Params: token.DefaultParams()},
		passCT: c.Enc("password-of-trader"), adminCT: c.Enc("admin-password")}
}

func ok(tb testing.TB, what string, r wire.Response) {
	if r.Result != wire.ResultOK {
		tb.Fatalf("%s: %+v", what, r)
	}
}

// BenchmarkLogin: a new connection, challenge, login with password and
// passcode, logout.
func BenchmarkLogin(b *testing.B) {
	s := newBenchServer(b)
	for b.Loop() {
		c := s.Dial()
		ok(b, "login", c.Send(map[string]string{"type": "login", "userid": "trader", "pass": s.passCT, "2fatoken": s.next()}))
		c.Send(map[string]string{"type": "logout"})
		c.Close()
	}
}

// BenchmarkVerifyLogin: one admin connection verifies password and passcode.
func BenchmarkVerifyLogin(b *testing.B) {
	s := newBenchServer(b)
	c := s.Dial()
	defer c.Close()
	ok(b, "admin login", c.Send(map[string]string{"type": "login", "userid": "admin", "pass": s.adminCT}))
	for b.Loop() {
		ok(b, "verifylogin", c.Send(map[string]string{"type": "verifylogin", "userid": "trader", "pass": s.passCT, "2fatoken": s.next()}))
	}
}

// BenchmarkCryptoFloor is the crypto of one login alone: one RSA-2048
// decryption, one argon2id check, three HMACs.
func BenchmarkCryptoFloor(b *testing.B) {
	keys, err := challenge.NewKeys(2048, 0, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	//lint:ignore SA1019 the protocol's Java clients send PKCS#1 v1.5.
	raw, err := rsa.EncryptPKCS1v15(rand.Reader, keys.Current().PublicKey().(*rsa.PublicKey), []byte("password-of-trader"))
	if err != nil {
		b.Fatal(err)
	}
	ct := base64.StdEncoding.EncodeToString(raw)
	hash, _ := password.Hash([]byte("password-of-trader"), password.Default)
	seed := token.Secret(make([]byte, 20))
	for b.Loop() {
		pw, err := keys.Current().Decrypt(ct, challenge.PKCS1v15)
		if err != nil {
			b.Fatal(err)
		}
		if ok, _ := password.Check(hash, pw); !ok {
			b.Fatal("password")
		}
		for d := uint64(0); d < 3; d++ {
			if _, err := token.HOTPCode(seed, 1000+d, token.SHA1, 6); err != nil {
				b.Fatal(err)
			}
		}
	}
}
