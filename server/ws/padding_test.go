package ws_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// Bleichenbacher's attack on PKCS#1 v1.5, and Manger's on OAEP, need an
// oracle: any answer that differs between a ciphertext whose padding is
// bad and one whose padding is good. The challenge key is shared by every
// socket for a day, so such an oracle, open to anyone with a login, would
// decrypt other users' captured pass fields. These tests send every
// encrypted field of the protocol both ways, many times, to the real
// server, and find the answers identical: result, message, socket open or
// closed, and what the rules counted (docs/protocol.md, "Padding oracles").

// answer is what a client sees of a reply.
type answer struct {
	Result, Message string
	Open            bool
}

func (a answer) String() string {
	return fmt.Sprintf("%q %q %s", a.Result, a.Message, map[bool]string{false: "closed", true: "open"}[a.Open])
}

// answerOf is what c saw of r: the socket is open if it still answers.
func answerOf(c *servertest.Client, r wire.Response) answer {
	open := c.Send(map[string]string{"type": "still-open?"}).Result == wire.ResultUnknownType
	return answer{Result: r.Result, Message: r.Message, Open: open}
}

// summary says a run of answers in a line: each value with its count, in
// the order they came.
func summary(as []answer) string {
	var runs []string
	for i := 0; i < len(as); {
		j := i
		for j < len(as) && as[j] == as[i] {
			j++
		}
		if len(runs) == 6 {
			return strings.Join(runs, ", ") + ", …"
		}
		runs = append(runs, fmt.Sprintf("%d× %v", j-i, as[i]))
		i = j
	}
	return strings.Join(runs, ", ")
}

// typeable reports bytes someone could type: UTF-8 text without control
// characters.
func typeable(b []byte) bool {
	return utf8.Valid(b) && !strings.ContainsFunc(string(b), unicode.IsControl)
}

// probes are ciphertexts under one key and scheme: bad ones, whose padding
// does not check, and good ones around random bytes no one could type
// (what a probe that passes the padding check decrypts to), a wrong value
// for every field. Bad ones whose synthetic value is typeable are left
// out: such a value (an answer "k7") is accepted exactly as the same bytes
// well padded would be, which the test could not tell from an oracle.
type probes struct{ bad, good []string }

// makeProbes makes n of each kind.
func makeProbes(t *testing.T, key *challenge.Key, scheme challenge.Scheme, n int) probes {
	t.Helper()
	pub := key.PublicKey().(*rsa.PublicKey)
	var p probes
	for i := 0; len(p.bad) < n; i++ {
		ct := raw(pub, badBlock(pub.Size(), i))
		if pt, err := key.Decrypt(ct, scheme); err == nil && typeable(pt) {
			continue
		}
		p.bad = append(p.bad, ct)
	}
	for len(p.good) < n {
		p.good = append(p.good, encryptAs(t, pub, scheme, untypeable(longest(pub, scheme))))
	}
	return p
}

// badBlock is an encoded message block whose padding is wrong, in the
// ways a Bleichenbacher or Manger probe goes wrong.
func badBlock(k int, i int) []byte {
	em := make([]byte, k)
	rand.Read(em)
	for j := 2; j < k; j++ {
		em[j] |= 1 // no zero byte: no separator unless placed
	}
	em[0] = 0
	switch i % 4 {
	case 0:
		em[1] = 3 + byte(i%250) // PKCS#1: not block type 2
	case 1:
		em[1] = 2 // PKCS#1: no separator; OAEP: the hash does not check
	case 2:
		em[1], em[2+i%8] = 2, 0 // PKCS#1: a separator inside the 8 bytes of padding
	case 3:
		em[0] = 1 + byte(i%0x7f) // not a leading zero (Manger's oracle), still below the modulus
	}
	return em
}

// longest is the longest plaintext of scheme under pub.
func longest(pub *rsa.PublicKey, scheme challenge.Scheme) int {
	if scheme == challenge.OAEPSHA256 {
		return pub.Size() - 2*sha256.Size - 2
	}
	return pub.Size() - 11
}

// raw encrypts an encoded message block as it is (m^e mod n), in base64.
func raw(pub *rsa.PublicKey, em []byte) string {
	m := new(big.Int).SetBytes(em)
	c := m.Exp(m, big.NewInt(int64(pub.E)), pub.N)
	return base64.StdEncoding.EncodeToString(c.FillBytes(make([]byte, pub.Size())))
}

// untypeable is 1 to n random bytes that are not text one can type.
func untypeable(n int) []byte {
	for {
		b := make([]byte, 1+mrand.IntN(n))
		rand.Read(b)
		if !typeable(b) {
			return b
		}
	}
}

// encryptAs encrypts v as a client does with scheme: PKCS#1 v1.5 as the
// seed's Java sample, or OAEP-SHA256.
func encryptAs(t *testing.T, pub *rsa.PublicKey, scheme challenge.Scheme, v []byte) string {
	t.Helper()
	var ct []byte
	var err error
	if scheme == challenge.OAEPSHA256 {
		ct, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, v, nil)
	} else {
		//lint:ignore SA1019 the protocol's Java clients send PKCS#1 v1.5.
		ct, err = rsa.EncryptPKCS1v15(rand.Reader, pub, v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(ct)
}

// paddingServer is a server on the shared key whose per-address limits do
// not get in the way of a thousand sockets.
func paddingServer(t *testing.T) *servertest.Server {
	t.Helper()
	lots := ratelimit.Rate{PerMinute: 1 << 20, Burst: 1 << 20}
	return servertest.NewWith(t, servertest.Options{Keys: keys(),
		WS: ws.Config{Connections: lots, Challenges: lots, MaxPendingLogins: 1 << 20, MaxSockets: 1 << 20}})
}

// perSocket sends msg on a new socket for each field: messages that get
// one try per socket (login, enrol).
func perSocket(s *servertest.Server, fields []string, msg func(field string) any) []answer {
	var out []answer
	for _, f := range fields {
		c := s.Dial()
		out = append(out, answerOf(c, c.Send(msg(f))))
		c.Close()
	}
	return out
}

// onSocket sends msg for each field on c.
func onSocket(c *servertest.Client, fields []string, msg func(i int, field string) any) []answer {
	var out []answer
	for i, f := range fields {
		out = append(out, answerOf(c, c.Send(msg(i, f))))
	}
	return out
}

// loggedIn adds userID with a token and returns a socket logged in as
// them, whose password it has changed to userID-pass over the socket: the
// admin command hashed the first at the production cost, the server
// hashes at the test's cheap one, and the rules check it a thousand times.
func loggedIn(t *testing.T, s *servertest.Server, userID string) *servertest.Client {
	t.Helper()
	tok := s.Enrol(userID, "first-pass", s.AddUser(userID, "first-pass"))
	s.Clock.Advance(30 * time.Second) // the enrolment's confirm used this step's code
	code, err := tok.Code(s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := s.Dial()
	if r := c.Login(userID, "first-pass", code); r.Result != wire.ResultOK {
		t.Fatalf("%s logs in: %+v", userID, r)
	}
	if r := c.Send(map[string]any{"type": "adduser", "updateprof": true, "pass": c.Enc("first-pass"), "newpass": c.Enc(userID + "-pass")}); r.Result != wire.ResultOK {
		t.Fatalf("%s changes their password: %+v", userID, r)
	}
	return c
}

// admin is a socket logged in as the server's administrator.
func admin(t *testing.T, s *servertest.Server) *servertest.Client {
	t.Helper()
	c := s.Dial()
	if r := c.Login("admin", "admin-password", ""); r.Result != wire.ResultOK {
		t.Fatalf("admin logs in: %+v", r)
	}
	return c
}

// counted is what the rules counted: userID's failures and lock, and the
// audit's outcomes.
func counted(t *testing.T, s *servertest.Server, userID string) string {
	t.Helper()
	var u struct {
		Failures    int        `json:"failures"`
		LockedUntil *time.Time `json:"locked_until"`
	}
	if err := json.Unmarshal([]byte(s.Admin("", "user", "show", userID)), &u); err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(s.Admin("", "audit", "--json")), "\n") {
		var e struct{ Event, Outcome string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		outcomes[e.Event+": "+e.Outcome]++
	}
	return fmt.Sprintf("%s: %d failures, locked %v; audit %v", userID, u.Failures, u.LockedUntil != nil, outcomes)
}

// sealer encrypts a case's other encrypted fields with its scheme.
type sealer struct {
	t      *testing.T
	pub    *rsa.PublicKey
	scheme challenge.Scheme
}

func (e sealer) seal(v string) string { return encryptAs(e.t, e.pub, e.scheme, []byte(v)) }

// enc is the scheme as a message names it.
func (e sealer) enc() string { return string(e.scheme) }

// paddingCase is one encrypted field of one message.
type paddingCase struct {
	name   string
	scheme challenge.Scheme
	// results are those wrong values get here, and open whether the
	// socket stays open after each.
	results []string
	open    bool
	// user is whose counters the rules keep.
	user string
	// run sets up a fresh server and sends the message with each field.
	run func(t *testing.T, s *servertest.Server, e sealer, fields []string) []answer
}

var (
	wrongPassword = []string{wire.ResultInvalidLogin, wire.ResultRateLimited}
	weakPassword  = []string{wire.ResultWeakPassword}
)

func loginPass(t *testing.T, s *servertest.Server, e sealer, fields []string) []answer {
	s.AddUser("trader", "trader-pass")
	return perSocket(s, fields, func(f string) any {
		return map[string]string{"type": "login", "enc": e.enc(), "userid": "trader", "pass": f}
	})
}

func verifyPass(t *testing.T, s *servertest.Server, e sealer, fields []string) []answer {
	s.AddUser("trader", "trader-pass")
	return onSocket(admin(t, s), fields, func(_ int, f string) any {
		return map[string]string{"type": "verifylogin", "enc": e.enc(), "userid": "trader", "pass": f}
	})
}

// change sends the user's own password changes, with pass and newpass
// from the field as the function says.
func change(fields func(e sealer, f string) (pass, newpass string)) func(*testing.T, *servertest.Server, sealer, []string) []answer {
	return func(t *testing.T, s *servertest.Server, e sealer, fs []string) []answer {
		return onSocket(loggedIn(t, s, "trader"), fs, func(_ int, f string) any {
			pass, newpass := fields(e, f)
			return map[string]any{"type": "adduser", "updateprof": true, "enc": e.enc(), "pass": pass, "newpass": newpass}
		})
	}
}

func resetNewpass(t *testing.T, s *servertest.Server, e sealer, fields []string) []answer {
	s.AddUser("trader", "trader-pass")
	return onSocket(admin(t, s), fields, func(_ int, f string) any {
		return map[string]any{"type": "adduser", "updateprof": true, "resetpass": true, "enc": e.enc(), "userid": "trader", "newpass": f}
	})
}

func createPass(t *testing.T, s *servertest.Server, e sealer, fields []string) []answer {
	return onSocket(admin(t, s), fields, func(i int, f string) any {
		return map[string]any{"type": "adduser", "enc": e.enc(), "userid": fmt.Sprintf("new-%04d", i), "pass": f}
	})
}

// enrol sends enrol messages of trader, who has just been added, with the
// fields the function makes of the field and the initial passcode.
func enrol(fields func(e sealer, f, initial string) map[string]string) func(*testing.T, *servertest.Server, sealer, []string) []answer {
	return func(t *testing.T, s *servertest.Server, e sealer, fs []string) []answer {
		initial := s.AddUser("trader", "trader-pass")
		s.OneSwipe("trader") // a code exists, and is not the one sent
		return perSocket(s, fs, func(f string) any {
			m := fields(e, f, initial)
			m["type"], m["userid"], m["enc"] = "enrol", "trader", e.enc()
			return m
		})
	}
}

// answers enrols trader up to the security questions and answers the first
// with each field and the second with "Rex".
func answers(t *testing.T, s *servertest.Server, e sealer, fields []string) []answer {
	t.Helper()
	initial := s.AddUser("trader", "trader-pass")
	c := s.Dial()
	r := c.Send(map[string]string{"type": "enrol", "userid": "trader", "pass": c.Enc("trader-pass"), "passcode": c.Enc(initial)})
	if r.Result != wire.ResultQuestions {
		t.Fatalf("enrol: %+v", r)
	}
	return onSocket(c, fields, func(_ int, f string) any {
		return map[string]any{"type": "answers", "enc": e.enc(), "answers": []map[string]any{
			{"id": r.Questions[0].ID, "answer": f}, {"id": r.Questions[1].ID, "answer": e.seal("Rex")}}}
	})
}

var paddingCases = []paddingCase{
	{name: "login pass", results: wrongPassword, user: "trader", run: loginPass},
	{name: "verifylogin pass", results: wrongPassword, open: true, user: "trader", run: verifyPass},
	{name: "adduser change: pass", results: wrongPassword, open: true, user: "trader",
		run: change(func(e sealer, f string) (string, string) { return f, e.seal("a-new-password") })},
	{name: "adduser change: newpass, wrong pass", results: wrongPassword, open: true, user: "trader",
		run: change(func(e sealer, f string) (string, string) { return e.seal("not-the-password"), f })},
	{name: "adduser change: newpass, right pass", results: weakPassword, open: true, user: "trader",
		run: change(func(e sealer, f string) (string, string) { return e.seal("trader-pass"), f })},
	{name: "adduser reset: newpass", results: weakPassword, open: true, user: "trader", run: resetNewpass},
	{name: "adduser create: pass", results: weakPassword, open: true, user: "admin", run: createPass},
	{name: "enrol pass", results: wrongPassword, user: "trader",
		run: enrol(func(e sealer, f, initial string) map[string]string {
			return map[string]string{"pass": f, "passcode": e.seal(initial)}
		})},
	{name: "enrol passcode", results: []string{wire.ResultInvalidToken, wire.ResultLocked}, user: "trader",
		run: enrol(func(e sealer, f, _ string) map[string]string {
			return map[string]string{"pass": e.seal("trader-pass"), "passcode": f}
		})},
	{name: "enrol oneswipe", results: []string{wire.ResultInvalidToken, wire.ResultRateLimited}, user: "trader",
		run: enrol(func(_ sealer, f, _ string) map[string]string { return map[string]string{"oneswipe": f} })},
	{name: "answers", results: []string{wire.ResultBadAnswers}, open: true, user: "trader", run: answers},
	{name: "OAEP: verifylogin pass", scheme: challenge.OAEPSHA256, results: wrongPassword, open: true, user: "trader", run: verifyPass},
	{name: "OAEP: adduser change: newpass, wrong pass", scheme: challenge.OAEPSHA256, results: wrongPassword, open: true, user: "trader",
		run: change(func(e sealer, f string) (string, string) { return e.seal("not-the-password"), f })},
	{name: "OAEP: answers", scheme: challenge.OAEPSHA256, results: []string{wire.ResultBadAnswers}, open: true, user: "trader", run: answers},
}

// firstDifference is the index of the first answer that differs, or -1.
func firstDifference(a, b []answer) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestBadPaddingAnswersLikeAWrongValue sends each encrypted field 1,000
// times with bad padding and 1,000 times well padded around a wrong value,
// each way to a fresh server, and finds the same answers in the same
// order, and the same counts. Under -short or the race detector it sends
// 100 each way; make test runs it once more in full without the race
// detector.
func TestBadPaddingAnswersLikeAWrongValue(t *testing.T) {
	n := 1000
	if testing.Short() || raceDetector {
		n = 100
	}
	key := keys().Current()
	pub := key.PublicKey().(*rsa.PublicKey)
	made := map[challenge.Scheme]probes{}
	for _, tc := range paddingCases {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := made[tc.scheme]
			if !ok {
				p = makeProbes(t, key, tc.scheme, n)
				made[tc.scheme] = p
			}
			var got [2][]answer
			var counts [2]string
			for i, fields := range [][]string{p.bad, p.good} {
				s := paddingServer(t)
				got[i] = tc.run(t, s, sealer{t: t, pub: pub, scheme: tc.scheme}, fields)
				counts[i] = counted(t, s, tc.user)
			}
			bad, good := got[0], got[1]
			if i := firstDifference(bad, good); i >= 0 {
				t.Errorf("bad and good padding answered differently from answer %d:\nbad:  %s\ngood: %s", i, summary(bad), summary(good))
			}
			for _, a := range append(bad, good...) {
				if !slices.Contains(tc.results, a.Result) || a.Open != tc.open {
					t.Errorf("an answer %v; want one of %q, socket open %v", a, tc.results, tc.open)
					break
				}
			}
			if counts[0] != counts[1] {
				t.Errorf("the rules counted differently:\nbad:  %s\ngood: %s", counts[0], counts[1])
			}
		})
	}
}
