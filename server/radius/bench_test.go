package radius_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/json"
	"net"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/password"
	radiusdoor "github.com/softtoken/softtoken/server/radius"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/token"
)

// The benchmarks compare a RADIUS verification over real UDP, with a real
// SQLite file and production argon2id costs, against its crypto alone
// (BenchmarkRADIUSCryptoFloor: one argon2id check, three HMACs for the ±1
// window, and RADIUS's own MD5s), as server/ws does for verifylogin.
// docs/benchmarks.md records the ratio. The server's clock moves one
// minute per iteration, so that every passcode is fresh.

type benchDoor struct {
	*door
	tok  token.Token
	conn net.Conn
}

func newBenchDoor(b *testing.B, oneStep bool) *benchDoor {
	b.Helper()
	d := openB(b, servertest.Options{Rules: account.Config{Hash: password.Default}}, oneStep)
	var out struct {
		Seed string `json:"2faseed"`
	}
	if err := json.Unmarshal([]byte(d.s.Admin("password-of-trader\n", "user", "add", "--use2fa", "--own-password", "trader")), &out); err != nil {
		b.Fatal(err)
	}
	secret, err := token.ParseSecret(out.Seed)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := net.Dial("udp", d.addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return &benchDoor{door: d, tok: token.Token{Secret: secret, Params: token.DefaultParams()}, conn: conn}
}

func (d *benchDoor) next() string {
	d.s.Clock.Advance(time.Minute)
	c, _ := d.tok.Code(d.s.Clock.Now())
	return c
}

// exchange sends req and returns the answer, checked.
func (d *benchDoor) exchange(b *testing.B, req []byte) *radius.Packet {
	if _, err := d.conn.Write(req); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, radius.MaxPacketLength)
	_ = d.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := d.conn.Read(buf)
	if err != nil {
		b.Fatal(err)
	}
	return answer(b, secret, req, buf[:n])
}

// BenchmarkRADIUSOneStep: one Access-Request with the password and the
// passcode (--radius-one-step), answered Access-Accept.
func BenchmarkRADIUSOneStep(b *testing.B) {
	d := newBenchDoor(b, true)
	for b.Loop() {
		if p := d.exchange(b, request(b, secret, "trader", "password-of-trader"+d.next(), nil, false)); p.Code != radius.CodeAccessAccept {
			b.Fatalf("one step: %v", p.Code)
		}
	}
}

// BenchmarkRADIUSChallenge: the password, its Access-Challenge, the
// passcode with the State, the Access-Accept.
func BenchmarkRADIUSChallenge(b *testing.B) {
	d := newBenchDoor(b, false)
	for b.Loop() {
		code := d.next()
		p := d.exchange(b, request(b, secret, "trader", "password-of-trader", nil, false))
		if p.Code != radius.CodeAccessChallenge {
			b.Fatalf("password: %v", p.Code)
		}
		if p := d.exchange(b, request(b, secret, "trader", code, rfc2865.State_Get(p), false)); p.Code != radius.CodeAccessAccept {
			b.Fatalf("passcode: %v", p.Code)
		}
	}
}

// BenchmarkRADIUSCryptoFloor is the crypto of one verification alone: one
// argon2id check, three HMACs, and the MD5s of the User-Password and
// the Message-Authenticators of the request and the answer.
func BenchmarkRADIUSCryptoFloor(b *testing.B) {
	hash, _ := password.Hash([]byte("password-of-trader"), password.Default)
	seed := token.Secret(make([]byte, 20))
	req := request(b, secret, "trader", "password-of-trader123456", nil, false)
	p, _ := radius.Parse(req, []byte(secret))
	for b.Loop() {
		for range 2 { // the request's and the answer's Message-Authenticator
			mac := hmac.New(md5.New, []byte(secret))
			mac.Write(req)
			mac.Sum(nil)
		}
		pw, err := rfc2865.UserPassword_Lookup(p)
		if err != nil || !bytes.HasSuffix(pw, []byte("123456")) {
			b.Fatal("User-Password")
		}
		if ok, _ := password.Check(hash, pw[:len(pw)-6]); !ok {
			b.Fatal("password")
		}
		for s := uint64(0); s < 3; s++ {
			if _, err := token.HOTPCode(seed, 1000+s, token.SHA1, 6); err != nil {
				b.Fatal(err)
			}
		}
		md5.Sum(req) // the Response Authenticator
	}
}

// openB is open for a benchmark, with one-step as asked and limits out of
// the way.
func openB(b *testing.B, o servertest.Options, oneStep bool) *door {
	return open(b, o, func(c *radiusdoor.Config) {
		c.OneStep = oneStep
		c.UserRate = radiusdoor.DefaultClientRate
	})
}
