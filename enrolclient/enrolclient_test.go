package enrolclient_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// requireKeyring gives a store in the real OS keyring under a fresh
// service name (under `make test`, a private gnome-keyring).
func realStore(t *testing.T) *keyringstore.Store {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	st, err := keyringstore.New(keyringstore.Config{Service: "softtoken-test-" + hex.EncodeToString(b), LockPath: filepath.Join(t.TempDir(), "lock")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.List(); err != nil {
		if os.Getenv("SOFTTOKEN_REQUIRE_KEYRING") == "1" {
			t.Fatalf("the real keyring is required: %v", err)
		}
		t.Skipf("no keyring: %v", err)
	}
	t.Cleanup(func() {
		entries, _ := st.List()
		for _, e := range entries {
			_ = st.Delete(e.ID)
		}
		_ = keyringstore.OSKeyring{}.Delete(st.Service(), "index")
	})
	return st
}

func memStore(t *testing.T) *keyringstore.Store {
	t.Helper()
	st, _ := keyringstore.New(keyringstore.Config{Backend: &keyringstore.MemoryBackend{}, LockPath: filepath.Join(t.TempDir(), "lock")})
	return st
}

func answer(_ context.Context, qs []enrolclient.Question, _ string) (map[int]string, error) {
	return map[int]string{qs[0].ID: "Springfield Elementary", qs[1].ID: "Shelbyville"}, nil
}

func codeOf(t *testing.T, e token.Entry, at time.Time) string {
	t.Helper()
	c, err := e.Token.Code(at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The end-to-end path, and moving to a second PC.
func TestEnrolEndToEndAndMovingPCs(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("trader", "trader-pass")
	ctx := context.Background()
	first := &enrolclient.Client{Store: realStore(t), Now: s.Clock.Now}
	e, err := first.Begin(ctx, enrolclient.Params{URL: s.URL, UserID: "trader", Password: "trader-pass", Passcode: initial})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	qs := e.Questions()
	if len(qs) < 2 || qs[0].Text == "" {
		t.Fatalf("a new user is asked %v", qs)
	}
	if err := e.Answer(ctx, map[int]string{qs[0].ID: "Springfield Elementary", qs[1].ID: "Shelbyville"}); err != nil || e.Questions() != nil {
		t.Fatalf("answers: %v; then asked %v", err, e.Questions())
	}
	if stored, _ := first.Store.List(); len(stored) != 0 {
		t.Fatalf("stored before Confirm: %v", stored)
	}
	res, err := e.Confirm(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Entry.Token.Account != "trader" || res.Entry.Token.Serial == "" || res.ClockWarning() != "" {
		t.Errorf("result: %+v %q", res.Entry.Token, res.ClockWarning())
	}
	stored, _ := first.Store.List()
	if len(stored) != 1 || string(stored[0].Token.Secret) != string(res.Entry.Token.Secret) {
		t.Fatalf("the keyring holds %v", stored)
	}
	s.Clock.Advance(30 * time.Second) // the confirmation used this step's code
	if got := s.Verify("trader", "trader-pass", codeOf(t, stored[0], s.Clock.Now())); got != wire.ResultOK {
		t.Fatalf("verifylogin with the enrolled token's code: %s", got)
	}

	// The initial passcode works once.
	if _, err := (&enrolclient.Client{Store: memStore(t), Now: s.Clock.Now}).Enrol(context.Background(),
		enrolclient.Params{URL: s.URL, UserID: "trader", Password: "trader-pass", Passcode: initial, Answer: answer}); enrolclient.KindOf(err) != enrolclient.KindWrongPasscode {
		t.Errorf("the initial passcode a second time: %v", err)
	}

	// Moving PCs: enrol on the second PC with the first PC's current code.
	s.Clock.Advance(30 * time.Second)
	second := &enrolclient.Client{Store: realStore(t), Now: s.Clock.Now}
	e2, err := second.Begin(ctx, enrolclient.Params{URL: s.URL, UserID: "trader", Password: "trader-pass",
		Passcode: codeOf(t, stored[0], s.Clock.Now())})
	if err != nil {
		t.Fatalf("moving PCs: %v", err)
	}
	defer e2.Close()
	if qs := e2.Questions(); qs != nil {
		t.Errorf("asked again, with answers on the server: %v", qs)
	}
	res2, err := e2.Confirm(ctx)
	if err != nil {
		t.Fatalf("moving PCs: %v", err)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("trader", "trader-pass", codeOf(t, stored[0], s.Clock.Now())); got != wire.ResultInvalidToken {
		t.Errorf("the old PC's code after moving: %s, want invalid token", got)
	}
	if got := s.Verify("trader", "trader-pass", codeOf(t, res2.Entry, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the new PC's code: %s", got)
	}
}

func TestEnrolFailures(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("alice", "alice-pass")
	tests := []struct {
		name       string
		p          enrolclient.Params
		kind       enrolclient.Kind
		field, has string
	}{
		{"wrong password", enrolclient.Params{UserID: "alice", Password: "nope", Passcode: initial}, enrolclient.KindWrongLogin, "password", "user ID or password is wrong"},
		{"unknown user", enrolclient.Params{UserID: "bob", Password: "alice-pass", Passcode: initial}, enrolclient.KindWrongLogin, "password", ""},
		{"wrong passcode", enrolclient.Params{UserID: "alice", Password: "alice-pass", Passcode: "000000"}, enrolclient.KindWrongPasscode, "passcode", "passcode is wrong"},
		{"malformed passcode", enrolclient.Params{UserID: "alice", Password: "alice-pass", Passcode: "12ab"}, enrolclient.KindInput, "passcode", "temporary passcode (8 digits)"},
		{"no user ID", enrolclient.Params{Password: "alice-pass", Passcode: initial}, enrolclient.KindInput, "userid", ""},
		{"questions nobody answers", enrolclient.Params{UserID: "alice", Password: "alice-pass", Passcode: initial}, enrolclient.KindQuestions, "answers", "security questions"},
	}
	for _, tc := range tests {
		st := memStore(t)
		tc.p.URL = s.URL
		_, err := (&enrolclient.Client{Store: st, Now: s.Clock.Now}).Enrol(context.Background(), tc.p)
		if enrolclient.KindOf(err) != tc.kind || enrolclient.FieldOf(err) != tc.field || !strings.Contains(fmt.Sprint(err), tc.has) {
			t.Errorf("%s: got %v (kind %d, field %q), want kind %d, field %q", tc.name, err, enrolclient.KindOf(err), enrolclient.FieldOf(err), tc.kind, tc.field)
		}
		if entries, _ := st.List(); len(entries) != 0 {
			t.Errorf("%s: a failed enrolment stored %d tokens", tc.name, len(entries))
		}
	}
	// Answers the server refuses are asked again with the reason.
	var problems []string
	picky := func(_ context.Context, qs []enrolclient.Question, problem string) (map[int]string, error) {
		problems = append(problems, problem)
		if problem == "" {
			return map[int]string{qs[0].ID: "x", qs[1].ID: "Shelbyville"}, nil // too short
		}
		return map[int]string{qs[0].ID: "Springfield", qs[1].ID: "Shelbyville"}, nil
	}
	if _, err := (&enrolclient.Client{Store: memStore(t), Now: s.Clock.Now}).Enrol(context.Background(),
		enrolclient.Params{URL: s.URL, UserID: "alice", Password: "alice-pass", Passcode: initial, Answer: picky}); err != nil {
		t.Fatalf("second answers: %v", err)
	}
	if len(problems) != 2 || !strings.Contains(problems[1], "2 to 200 characters") {
		t.Errorf("problems shown: %q", problems)
	}
}

func TestExpiredInitialPasscode(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("late", "late-pass-1")
	s.Clock.Advance(31 * 24 * time.Hour)
	_, err := (&enrolclient.Client{Store: memStore(t), Now: s.Clock.Now}).Enrol(context.Background(),
		enrolclient.Params{URL: s.URL, UserID: "late", Password: "late-pass-1", Passcode: initial, Answer: answer})
	if enrolclient.KindOf(err) != enrolclient.KindExpiredPasscode || !strings.Contains(err.Error(), "expired") {
		t.Errorf("got %v", err)
	}
}

func TestClockSkewWarning(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("skewed", "skewed-pass")
	c := &enrolclient.Client{Store: memStore(t), Now: s.Clock.NowPlus(-2 * time.Minute)}
	res, err := c.Enrol(context.Background(), enrolclient.Params{URL: s.URL, UserID: "skewed", Password: "skewed-pass", Passcode: initial, Answer: answer})
	if err != nil {
		t.Fatal(err)
	}
	if w := res.ClockWarning(); !strings.Contains(w, "2m0s behind") {
		t.Errorf("warning %q", w)
	}
}

func TestCancelStoresNothing(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("carol", "carol-pass")
	st := memStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancelling := func(context.Context, []enrolclient.Question, string) (map[int]string, error) {
		cancel()
		return nil, context.Canceled
	}
	_, err := (&enrolclient.Client{Store: st, Now: s.Clock.Now}).Enrol(ctx, enrolclient.Params{URL: s.URL, UserID: "carol", Password: "carol-pass", Passcode: initial, Answer: cancelling})
	if enrolclient.KindOf(err) != enrolclient.KindCancelled {
		t.Errorf("got %v", err)
	}
	if entries, _ := st.List(); len(entries) != 0 {
		t.Error("a cancelled enrolment stored a token")
	}
	// The initial passcode was not used up.
	if _, err := (&enrolclient.Client{Store: st, Now: s.Clock.Now}).Enrol(context.Background(),
		enrolclient.Params{URL: s.URL, UserID: "carol", Password: "carol-pass", Passcode: initial, Answer: answer}); err != nil {
		t.Errorf("after a cancelled attempt: %v", err)
	}
}

func TestSixTokensCheckedBeforeTheNetwork(t *testing.T) {
	st := memStore(t)
	for i := range token.MaxTokens {
		tok := token.Token{Label: string(rune('a' + i)), Secret: make(token.Secret, 20), Params: token.DefaultParams()}
		if _, err := st.Add(tok); err != nil {
			t.Fatal(err)
		}
	}
	// Port 1 is closed: a network call would fail as unreachable.
	_, err := (&enrolclient.Client{Store: st}).Enrol(context.Background(),
		enrolclient.Params{URL: "http://127.0.0.1:1/secenrol/", UserID: "u", Password: "p", Passcode: "123456"})
	if enrolclient.KindOf(err) != enrolclient.KindFull || !errors.Is(err, token.ErrFull) {
		t.Errorf("got %v", err)
	}
}

func TestNetworkFailures(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler()) // a certificate nobody trusts
	defer tlsSrv.Close()
	plain := httptest.NewServer(http.NotFoundHandler()) // no enrolment service
	defer plain.Close()
	tests := []struct {
		url  string
		kind enrolclient.Kind
	}{
		{"http://127.0.0.1:1/secenrol/", enrolclient.KindUnreachable},
		{tlsSrv.URL + "/secenrol/", enrolclient.KindTLS},
		{plain.URL + "/secenrol/", enrolclient.KindBadURL},
		{"http://secureauth.example.com/secenrol/", enrolclient.KindInsecure},
		{"ftp://x/", enrolclient.KindBadURL},
		{"", enrolclient.KindBadURL},
	}
	for _, tc := range tests {
		_, err := (&enrolclient.Client{Store: memStore(t), StepTimeout: 5 * time.Second}).Enrol(context.Background(),
			enrolclient.Params{URL: tc.url, UserID: "u", Password: "p", Passcode: "123456"})
		if enrolclient.KindOf(err) != tc.kind || enrolclient.FieldOf(err) != "url" {
			t.Errorf("%q: got %v (kind %d), want kind %d", tc.url, err, enrolclient.KindOf(err), tc.kind)
		}
	}
}

func TestURLs(t *testing.T) {
	tests := []struct{ in, enrol, ws string }{
		{"https://secureauth.example.com/secenrol/", "https://secureauth.example.com/secenrol/", "wss://secureauth.example.com/ws"},
		{"secureauth.example.com", "https://secureauth.example.com/secenrol/", "wss://secureauth.example.com/ws"},
		{" https://h.example:8443/secenrol?userid=x ", "https://h.example:8443/secenrol/", "wss://h.example:8443/ws"},
		{"https://h.example/auth/secenrol/", "https://h.example/auth/secenrol/", "wss://h.example/auth/ws"},
		{"http://127.0.0.1:8443/secenrol/", "http://127.0.0.1:8443/secenrol/", "ws://127.0.0.1:8443/ws"},
		{"http://localhost:8443/", "http://localhost:8443/secenrol/", "ws://localhost:8443/ws"},
	}
	for _, tc := range tests {
		enrol, wsURL, err := enrolclient.URLs(tc.in)
		if err != nil || enrol != tc.enrol || wsURL != tc.ws {
			t.Errorf("URLs(%q) = %q, %q, %v; want %q, %q", tc.in, enrol, wsURL, err, tc.enrol, tc.ws)
		}
	}
	// The enrol URL is kept with the token, within the token's limit.
	long := "https://h.example/" + strings.Repeat("p", token.MaxURLBytes-len("https://h.example/")-len("secenrol/")) + "secenrol/"
	if enrol, _, err := enrolclient.URLs(long); err != nil || enrol != long {
		t.Errorf("a URL of %d bytes: %q, %v", len(long), enrol, err)
	}
	if _, _, err := enrolclient.URLs("x" + long[len("https://"):]); err == nil || enrolclient.KindOf(err) != enrolclient.KindBadURL || !strings.Contains(err.Error(), "the enrol URL is too long (257 characters, at most 256)") {
		t.Errorf("a URL of 257 bytes: %v", err)
	}
}

// The old PC is gone: enrol with a temporary passcode instead, which the
// new token then supersedes.
func TestEnrolWithTemporaryPasscode(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("dave", "dave-pass-1")
	first, err := (&enrolclient.Client{Store: memStore(t), Now: s.Clock.Now}).Enrol(context.Background(),
		enrolclient.Params{URL: s.URL, UserID: "dave", Password: "dave-pass-1", Passcode: initial, Answer: answer})
	if err != nil {
		t.Fatal(err)
	}
	out := s.Admin("", "user", "temp-passcode", "--days", "2", "dave")
	temp := regexp.MustCompile(`"temporary_passcode": "([0-9]{8})"`).FindStringSubmatch(out)
	if temp == nil {
		t.Fatalf("temp-passcode printed %s", out)
	}
	s.Clock.Advance(time.Minute)
	second, err := (&enrolclient.Client{Store: memStore(t), Now: s.Clock.Now}).Enrol(context.Background(),
		enrolclient.Params{URL: s.URL, UserID: "dave", Password: "dave-pass-1", Passcode: temp[1]})
	if err != nil {
		t.Fatalf("enrol with the temporary passcode: %v", err)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("dave", "dave-pass-1", temp[1]); got != wire.ResultInvalidToken {
		t.Errorf("the temporary passcode after re-enrolment: %s", got)
	}
	if got := s.Verify("dave", "dave-pass-1", codeOf(t, first.Entry, s.Clock.Now())); got != wire.ResultInvalidToken {
		t.Errorf("the first token after re-enrolment: %s", got)
	}
	if got := s.Verify("dave", "dave-pass-1", codeOf(t, second.Entry, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the new token: %s", got)
	}
}

// FuzzURLs: whatever a user types, URLs does not panic, and an accepted
// URL is stable (cleaning it again changes nothing) and maps to ws(s)://.
func FuzzURLs(f *testing.F) {
	for _, s := range []string{"https://secureauth.example.com/secenrol/", "secureauth.example.com", "http://127.0.0.1:8443/", "https://h/a/secenrol?x=1#y", "", "://", "http://[::1]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		enrol, wsURL, err := enrolclient.URLs(typed)
		if err != nil {
			if enrolclient.FieldOf(err) != "url" {
				t.Fatalf("error not about the URL field: %v", err)
			}
			return
		}
		again, ws2, err := enrolclient.URLs(enrol)
		if err != nil || again != enrol || ws2 != wsURL {
			t.Fatalf("not stable: %q → %q, %q → %q, %q (%v)", typed, enrol, wsURL, again, ws2, err)
		}
		if !strings.HasPrefix(wsURL, "ws://") && !strings.HasPrefix(wsURL, "wss://") {
			t.Fatalf("websocket URL %q", wsURL)
		}
	})
}

// A One Swipe enrolment code enrols without password or passcode, once,
// for 10 minutes, and only for its own user.
func TestEnrolOneSwipe(t *testing.T) {
	s := servertest.New(t)
	s.AddUser("carol", "carol-pass")
	s.AddUser("dan", "dan-pass")
	enrolWith := func(payload, userID string) (enrolclient.Result, error) {
		t.Helper()
		e, err := oneswipe.ParseEnrolment(payload)
		if err != nil {
			t.Fatal(err)
		}
		if userID == "" {
			userID = e.UserID
		}
		return (&enrolclient.Client{Store: memStore(t), Now: s.Clock.Now}).Enrol(context.Background(),
			enrolclient.Params{URL: e.EnrolURL, UserID: userID, OneSwipe: e.Code, Answer: answer})
	}
	code := s.OneSwipe("carol")
	res, err := enrolWith(code, "")
	if err != nil {
		t.Fatalf("enrol with a One Swipe code: %v", err)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("carol", "carol-pass", codeOf(t, res.Entry, s.Clock.Now())); got != wire.ResultOK {
		t.Fatalf("verifylogin with the token enrolled by One Swipe: %s", got)
	}

	if _, err := enrolWith(code, ""); enrolclient.KindOf(err) != enrolclient.KindWrongPasscode || !strings.Contains(fmt.Sprint(err), "used already") {
		t.Errorf("second use: got %v", err)
	}
	// A new code replaces the user's older ones.
	expired := s.OneSwipe("dan")
	wrongUser := s.OneSwipe("carol")
	tests := []struct {
		name, payload, userID string
		advance               time.Duration
		kind                  enrolclient.Kind
		has                   string
	}{
		{"a code replaced by a newer one", code, "", 0, enrolclient.KindWrongPasscode, "not accepted"},
		{"another user's code", wrongUser, "dan", 0, enrolclient.KindWrongPasscode, "not accepted"},
		{"after 10 minutes", expired, "", 10 * time.Minute, enrolclient.KindExpiredPasscode, "expired"},
	}
	for _, tt := range tests {
		s.Clock.Advance(tt.advance)
		_, err := enrolWith(tt.payload, tt.userID)
		if enrolclient.KindOf(err) != tt.kind || enrolclient.FieldOf(err) != "oneswipe" || !strings.Contains(fmt.Sprint(err), tt.has) {
			t.Errorf("%s: got %v (kind %d), want kind %d with %q", tt.name, err, enrolclient.KindOf(err), tt.kind, tt.has)
		}
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("carol", "carol-pass", codeOf(t, res.Entry, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the refused codes disturbed carol's token: %s", got)
	}
}

// Re-enrolling an account this store holds (a One Swipe code, a temporary
// passcode): the new token takes the old one's slot and name, also when
// the store is full; a refused confirmation puts the old token back.
func TestReenrolKeepsTheSlot(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("rita", "rita-pass-1")
	st := realStore(t)
	c := &enrolclient.Client{Store: st, Now: s.Clock.Now}
	if _, err := st.Add(token.Token{Label: "first", Secret: make(token.Secret, 20), Params: token.DefaultParams()}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Enrol(context.Background(), enrolclient.Params{URL: s.URL, UserID: "rita", Password: "rita-pass-1", Passcode: initial, Answer: answer})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Rename(res.Entry.ID, "Rita at work"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := st.Add(token.Token{Label: fmt.Sprintf("other %d", i), Secret: make(token.Secret, 20), Params: token.DefaultParams()}); err != nil {
			t.Fatal(err)
		}
	}
	reenrol := func() (enrolclient.Result, error) {
		t.Helper()
		return c.Enrol(context.Background(), enrolclient.Params{URL: s.URL, UserID: "rita", OneSwipe: mustCode(t, s.OneSwipe("rita"))})
	}
	check := func(what string, res enrolclient.Result, n int) {
		t.Helper()
		entries, _ := st.List()
		if len(entries) != n || res.Entry.Slot != 2 || res.Entry.Token.Label != "Rita at work" || !res.Replaced ||
			entries[1].Token.Secret.Base32() != res.Entry.Token.Secret.Base32() {
			t.Fatalf("%s: result slot %d %q replaced %v; store %v", what, res.Entry.Slot, res.Entry.Token.Label, res.Replaced, entries)
		}
		s.Clock.Advance(30 * time.Second)
		if got := s.Verify("rita", "rita-pass-1", codeOf(t, entries[1], s.Clock.Now())); got != wire.ResultOK {
			t.Fatalf("%s: the token in slot 2: %s", what, got)
		}
	}
	s.Clock.Advance(time.Minute)
	res, err = reenrol()
	if err != nil {
		t.Fatal(err)
	}
	check("with a free slot", res, 5)

	if _, err := st.Add(token.Token{Label: "sixth", Secret: make(token.Secret, 20), Params: token.DefaultParams()}); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(time.Minute)
	res, err = reenrol()
	if err != nil {
		t.Fatalf("re-enrolment with six tokens: %v", err)
	}
	check("with six tokens", res, 6)
}

func mustCode(t *testing.T, payload string) string {
	t.Helper()
	e, err := oneswipe.ParseEnrolment(payload)
	if err != nil {
		t.Fatal(err)
	}
	return e.Code
}

// A refused re-enrolment with six tokens puts the old token back.
func TestRefusedReenrolmentRestoresTheOldToken(t *testing.T) {
	var confirmed atomic.Bool
	url := fakeServer(t, func(req wire.Request, normal wire.Response) wire.Response {
		if req.Type == wire.TypeConfirm {
			confirmed.Store(true)
			return wire.Response{Type: req.Type, Result: wire.ResultInvalidToken}
		}
		return normal
	})
	st := memStore(t)
	u, _, _ := enrolclient.URLs(url)
	old := token.Token{Label: "mine", Account: "rita", EnrolURL: u, Secret: token.Secret("12345678901234567890"), Params: token.DefaultParams()}
	for i := range token.MaxTokens {
		tok := token.Token{Label: fmt.Sprintf("t%d", i), Secret: make(token.Secret, 20), Params: token.DefaultParams()}
		if i == 2 {
			tok = old
		}
		if _, err := st.Add(tok); err != nil {
			t.Fatal(err)
		}
	}
	_, err := (&enrolclient.Client{Store: st}).Enrol(context.Background(), enrolclient.Params{URL: url, UserID: "rita", OneSwipe: "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
	if enrolclient.KindOf(err) != enrolclient.KindWrongPasscode || !confirmed.Load() {
		t.Fatalf("a refused confirmation: %v (confirmation sent: %v)", err, confirmed.Load())
	}
	entries, _ := st.List()
	if len(entries) != token.MaxTokens || entries[2].Token.Label != "mine" || string(entries[2].Token.Secret) != string(old.Secret) {
		t.Errorf("after the refusal slot 3 holds %+v", entries[2].Token)
	}
}
