package ws_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
)

// The benchmarks compare login and verifylogin over a real websocket, with
// a real SQLite file and production argon2id costs, against their crypto
// alone (BenchmarkCryptoFloor: RSA decryption, argon2id, three HMACs for
// the ±1 window). docs/protocol.md records the ratio.
//
// A fake clock moves one minute per iteration, so every iteration has a
// fresh passcode that the replay guard accepts.

type benchServer struct {
	url     string
	clock   atomic.Int64
	tok     token.Token
	passCT  string // the password, encrypted once under the (never rotated) key
	adminCT string
}

func (b *benchServer) now() time.Time { return time.Unix(b.clock.Load(), 0) }

func (b *benchServer) next() string {
	t := time.Unix(b.clock.Add(60), 0)
	c, _ := b.tok.Code(t)
	return c
}

func newBenchServer(tb testing.TB) *benchServer {
	tb.Helper()
	b := &benchServer{}
	b.clock.Store(1_800_000_000)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "bench.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	sealer, _ := seal.New(make([]byte, 32))
	svc := account.New(db, sealer, account.Config{Now: b.now})
	for _, u := range []account.NewUser{{UserID: "admin", Admin: true}, {UserID: "trader", Use2FA: true, Seed: true}} {
		u.Password = []byte("password-of-" + u.UserID)
		c, err := svc.CreateUser(ctx, account.Admin, nil, u)
		if err != nil {
			tb.Fatal(err)
		}
		if c.Token != nil {
			b.tok = *c.Token
		}
	}
	srv := httptest.NewServer(ws.New(svc, keys(), ws.Config{Now: b.now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ConnectionsPerMinute: 1 << 30, ChallengesPerMinute: 1 << 30}))
	tb.Cleanup(srv.Close)
	b.url = "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
	pub := keys().Current().PublicKey().(*rsa.PublicKey)
	enc := func(pw string) string {
		ct, _ := rsa.EncryptPKCS1v15(rand.Reader, pub, []byte(pw))
		return base64.StdEncoding.EncodeToString(ct)
	}
	b.passCT, b.adminCT = enc("password-of-trader"), enc("password-of-admin")
	return b
}

func roundTrip(tb testing.TB, c *websocket.Conn, m map[string]string) wire.Response {
	data, _ := json.Marshal(m)
	if err := c.WriteMessage(websocket.TextMessage, data); err != nil {
		tb.Fatal(err)
	}
	var r wire.Response
	if err := c.ReadJSON(&r); err != nil {
		tb.Fatal(err)
	}
	return r
}

// BenchmarkLogin: a new connection, challenge, login with password and
// passcode, logout.
func BenchmarkLogin(b *testing.B) {
	s := newBenchServer(b)
	for b.Loop() {
		c, _, err := websocket.DefaultDialer.Dial(s.url, nil)
		if err != nil {
			b.Fatal(err)
		}
		roundTrip(b, c, map[string]string{"type": "challenge"})
		if r := roundTrip(b, c, map[string]string{"type": "login", "userid": "trader", "pass": s.passCT, "2fatoken": s.next()}); r.Result != wire.ResultOK {
			b.Fatalf("login: %+v", r)
		}
		roundTrip(b, c, map[string]string{"type": "logout"})
		c.Close()
	}
}

// BenchmarkVerifyLogin: one admin connection verifies password and passcode.
func BenchmarkVerifyLogin(b *testing.B) {
	s := newBenchServer(b)
	c, _, err := websocket.DefaultDialer.Dial(s.url, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	roundTrip(b, c, map[string]string{"type": "challenge"})
	if r := roundTrip(b, c, map[string]string{"type": "login", "userid": "admin", "pass": s.adminCT}); r.Result != wire.ResultOK {
		b.Fatalf("admin login: %+v", r)
	}
	for b.Loop() {
		if r := roundTrip(b, c, map[string]string{"type": "verifylogin", "userid": "trader", "pass": s.passCT, "2fatoken": s.next()}); r.Result != wire.ResultOK {
			b.Fatalf("verifylogin: %+v", r)
		}
	}
}

// BenchmarkCryptoFloor is the crypto of one login alone.
func BenchmarkCryptoFloor(b *testing.B) {
	s := newBenchServer(b)
	key := keys().Current()
	hash, _ := password.Hash([]byte("password-of-trader"), password.Default)
	for b.Loop() {
		pw, err := key.Decrypt(s.passCT, challenge.PKCS1v15)
		if err != nil {
			b.Fatal(err)
		}
		if ok, _ := password.Check(hash, pw); !ok {
			b.Fatal("password")
		}
		for d := uint64(0); d < 3; d++ {
			if _, err := token.HOTPCode(s.tok.Secret, 1000+d, token.SHA1, 6); err != nil {
				b.Fatal(err)
			}
		}
	}
}
