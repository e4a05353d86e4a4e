package enrolclient_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// fakeServer is an enrolment server whose replies the test chooses: reply
// gets each request and the reply a well-behaved server would send (see
// offering), and returns the one to send. reply may block, until the
// test's context ends at the latest.
func fakeServer(t *testing.T, reply func(req wire.Request, normal wire.Response) wire.Response) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			var req wire.Request
			if err := c.ReadJSON(&req); err != nil {
				return
			}
			normal := offering(req)
			if req.Type == wire.TypeChallenge {
				normal.Key = base64.StdEncoding.EncodeToString(der)
			}
			if err := c.WriteJSON(reply(req, normal)); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/secenrol/"
}

// offering is a well-behaved server's reply to req, for a user with
// security answers: enrol and answers offer a new token, confirm accepts.
func offering(req wire.Request) wire.Response {
	resp := wire.Response{Type: req.Type, Result: wire.ResultOK}
	if req.Type == wire.TypeEnrol || req.Type == wire.TypeAnswers {
		resp.TwoFASeed, resp.Algorithm, resp.Digits, resp.Period = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "SHA1", 6, 30
		resp.Serial, resp.ServerTime, resp.UserID = "ST1", time.Now().Unix(), req.UserID
	}
	return resp
}

// asking makes the fake server ask two questions on enrol.
func asking(req wire.Request, normal wire.Response) wire.Response {
	if req.Type == wire.TypeEnrol {
		return wire.Response{Type: req.Type, Result: wire.ResultQuestions, Questions: []wire.Question{{ID: 2, Text: "Pet?"}, {ID: 1, Text: "School?"}}}
	}
	return normal
}

var swipeParams = enrolclient.Params{UserID: "rita", OneSwipe: "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}

// Refused answers leave the Enrolment asking, with the server's reason;
// Confirm waits for accepted ones.
func TestAnswersRefusedThenAccepted(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("alice", "alice-pass")
	ctx := context.Background()
	c := &enrolclient.Client{Store: memStore(t), Now: s.Clock.Now}
	e, err := c.Begin(ctx, enrolclient.Params{URL: s.URL, UserID: "alice", Password: "alice-pass", Passcode: initial})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	qs := e.Questions()
	for i := 1; i < len(qs); i++ {
		if qs[i-1].ID >= qs[i].ID {
			t.Fatalf("questions not in ID order: %v", qs)
		}
	}
	err = e.Answer(ctx, map[int]string{qs[0].ID: "x", qs[1].ID: "Shelbyville"})
	if enrolclient.KindOf(err) != enrolclient.KindBadAnswers || enrolclient.FieldOf(err) != "answers" ||
		err.Error() != "the answers were not accepted: each answer must be 2 to 200 characters" {
		t.Fatalf("a too short answer: %v (kind %d)", err, enrolclient.KindOf(err))
	}
	if len(e.Questions()) != len(qs) {
		t.Fatalf("after a refusal the questions are %v", e.Questions())
	}
	if _, err := e.Confirm(ctx); enrolclient.KindOf(err) != enrolclient.KindQuestions || enrolclient.FieldOf(err) != "answers" {
		t.Errorf("Confirm before accepted answers: %v", err)
	}
	if err := e.Answer(ctx, map[int]string{qs[0].ID: "Springfield", qs[1].ID: "Shelbyville"}); err != nil {
		t.Fatalf("second answers: %v", err)
	}
	if e.Questions() != nil {
		t.Errorf("still asked %v", e.Questions())
	}
	res, err := e.Confirm(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("alice", "alice-pass", codeOf(t, res.Entry, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the new token: %s", got)
	}
	if err := e.Answer(ctx, nil); enrolclient.KindOf(err) != enrolclient.KindServer || !strings.Contains(err.Error(), "ended") {
		t.Errorf("Answer after Confirm: %v", err)
	}
}

// Close while the questions wait stores nothing and spends nothing: the
// initial passcode still works.
func TestCloseAbandons(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("carol", "carol-pass")
	st := memStore(t)
	c := &enrolclient.Client{Store: st, Now: s.Clock.Now}
	p := enrolclient.Params{URL: s.URL, UserID: "carol", Password: "carol-pass", Passcode: initial, Answer: answer}
	e, err := c.Begin(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	e.Close()
	if err := e.Answer(context.Background(), map[int]string{1: "Springfield", 2: "Rex"}); enrolclient.KindOf(err) != enrolclient.KindCancelled {
		t.Errorf("Answer after Close: %v", err)
	}
	if _, err := e.Confirm(context.Background()); enrolclient.KindOf(err) != enrolclient.KindCancelled {
		t.Errorf("Confirm after Close: %v", err)
	}
	if entries, _ := st.List(); len(entries) != 0 {
		t.Errorf("an abandoned enrolment stored %v", entries)
	}
	if _, err := c.Enrol(context.Background(), p); err != nil {
		t.Errorf("after an abandoned attempt: %v", err)
	}
}

// Close from another goroutine, or a cancelled context, ends a step that
// waits for the server at once, not after the step timeout.
func TestCloseEndsAWaitingStep(t *testing.T) {
	got := make(chan struct{}, 1)
	url := fakeServer(t, func(req wire.Request, normal wire.Response) wire.Response {
		if req.Type == wire.TypeAnswers {
			got <- struct{}{}
			<-t.Context().Done()
		}
		return asking(req, normal)
	})
	c := &enrolclient.Client{Store: memStore(t), StepTimeout: time.Minute}
	p := swipeParams
	p.URL = url
	for _, how := range []string{"Close", "cancel"} {
		e, err := c.Begin(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-got
			if how == "Close" {
				e.Close()
			} else {
				cancel()
			}
		}()
		start := time.Now()
		err = e.Answer(ctx, map[int]string{1: "Springfield", 2: "Rex"})
		if enrolclient.KindOf(err) != enrolclient.KindCancelled || time.Since(start) > 10*time.Second {
			t.Errorf("%s during Answer: %v after %v", how, err, time.Since(start))
		}
		if err := e.Answer(context.Background(), map[int]string{1: "Springfield", 2: "Rex"}); err == nil {
			t.Errorf("%s: the Enrolment goes on", how)
		}
		cancel()
		e.Close()
	}
}

// Close during Confirm lets it finish: once the token is stored, only the
// server's answer says whether it stays.
func TestCloseLeavesConfirmToFinish(t *testing.T) {
	got, reply := make(chan struct{}), make(chan struct{})
	url := fakeServer(t, func(req wire.Request, normal wire.Response) wire.Response {
		if req.Type == wire.TypeConfirm {
			close(got)
			<-reply
		}
		return normal
	})
	st := memStore(t)
	p := swipeParams
	p.URL = url
	e, err := (&enrolclient.Client{Store: st}).Begin(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-got
		e.Close()
		close(reply)
	}()
	res, err := e.Confirm(context.Background())
	if err != nil || res.Entry.Token.Serial != "ST1" {
		t.Fatalf("Confirm with a Close during it: %+v, %v", res, err)
	}
	if entries, _ := st.List(); len(entries) != 1 {
		t.Errorf("stored %v", entries)
	}
}

// Enrol asks its Questioner three times at most.
func TestEnrolGivesUpOnRefusedAnswers(t *testing.T) {
	url := fakeServer(t, func(req wire.Request, normal wire.Response) wire.Response {
		if req.Type == wire.TypeAnswers {
			return wire.Response{Type: req.Type, Result: wire.ResultBadAnswers, Message: "answers not accepted: too short"}
		}
		return asking(req, normal)
	})
	var problems []string
	p := swipeParams
	p.URL = url
	p.Answer = func(_ context.Context, qs []enrolclient.Question, problem string) (map[int]string, error) {
		problems = append(problems, problem)
		return map[int]string{qs[0].ID: "x", qs[1].ID: "y"}, nil
	}
	_, err := (&enrolclient.Client{Store: memStore(t)}).Enrol(context.Background(), p)
	if enrolclient.KindOf(err) != enrolclient.KindBadAnswers || len(problems) != 3 ||
		problems[0] != "" || problems[1] != "the answers were not accepted: too short" {
		t.Errorf("got %v after the problems %q", err, problems)
	}
}

// Re-enrolment while the server fails each write of its confirmation in
// turn: the client keeps its old token in the store, and the server still
// accepts it; once nothing fails, the new token replaces it in its slot.
func TestReEnrolmentSurvivesEveryFailedWrite(t *testing.T) {
	faults := &servertest.Faults{}
	s := servertest.NewWith(t, servertest.Options{Wrap: func(st store.Store) store.Store { faults.Store = st; return faults },
		WS: ws.Config{Connections: ratelimit.Rate{PerMinute: 1000, Burst: 10}, Challenges: ratelimit.Rate{PerMinute: 1000, Burst: 10}}})
	c := &enrolclient.Client{Store: memStore(t), Now: s.Clock.Now}
	ctx := context.Background()
	first, err := c.Enrol(ctx, enrolclient.Params{URL: s.URL, UserID: "trader", Password: "trader-pass",
		Passcode: s.AddUser("trader", "trader-pass"), Answer: answer})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; ; n++ {
		s.Clock.Advance(30 * time.Second)
		e, err := c.Begin(ctx, enrolclient.Params{URL: s.URL, UserID: "trader", Password: "trader-pass", Passcode: codeOf(t, first.Entry, s.Clock.Now())})
		if err != nil {
			t.Fatalf("try %d: %v", n, err)
		}
		faults.Arm(n)
		_, err = e.Confirm(ctx)
		faults.Arm(0)
		if err == nil {
			if n < 8 {
				t.Errorf("the confirmation made only %d writes", n-1)
			}
			break
		}
		stored, _ := c.Store.List()
		if len(stored) != 1 || string(stored[0].Token.Secret) != string(first.Entry.Token.Secret) {
			t.Fatalf("after %s failed on the server, the store holds %v", faults.Failed(), stored)
		}
		s.Clock.Advance(30 * time.Second)
		if got := s.Verify("trader", "trader-pass", codeOf(t, first.Entry, s.Clock.Now())); got != wire.ResultOK {
			t.Fatalf("after %s failed, the server refuses the old token: %s", faults.Failed(), got)
		}
	}
	stored, _ := c.Store.List()
	if len(stored) != 1 || string(stored[0].Token.Secret) == string(first.Entry.Token.Secret) || stored[0].ID != first.Entry.ID {
		t.Errorf("after the enrolment, the store holds %v", stored)
	}
}

// A token enrolled with the self-help desk's temporary passcode waits
// for the user's confirmation by mail (docs/web.md): Confirm says until
// when, and the account's older token in the store stays, since it goes
// on working until then.
func TestEnrolmentWithTheDesksPasscodeWaits(t *testing.T) {
	s := servertest.New(t)
	ctx := context.Background()
	c := &enrolclient.Client{Store: memStore(t), Now: s.Clock.Now}
	enrol := func(passcode string) enrolclient.Result {
		t.Helper()
		e, err := c.Begin(ctx, enrolclient.Params{URL: s.URL, UserID: "kim", Password: "kim-pass", Passcode: passcode})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		if qs := e.Questions(); qs != nil {
			if err := e.Answer(ctx, map[int]string{1: "Springfield", 2: "Rex"}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := e.Confirm(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := enrol(s.AddUser("kim", "kim-pass"))
	if !first.Waits.IsZero() {
		t.Errorf("the first enrolment waits until %v", first.Waits)
	}
	temp := s.DeskTemporaryPasscode("kim", "kim-pass", 2)
	second := enrol(temp)
	if want := s.Clock.Now().Add(account.DefaultCoolingOff); !second.Waits.Equal(want) || second.Replaced {
		t.Errorf("enrolled with the desk's passcode: waits until %v (want %v), replaced %v", second.Waits, want, second.Replaced)
	}
	entries, err := c.Store.List()
	if err != nil || len(entries) != 2 {
		t.Fatalf("the store holds %d tokens (%v), want the old one and the new one", len(entries), err)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("kim", "kim-pass", codeOf(t, first.Entry, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the old token while the new one waits: %s", got)
	}
}
