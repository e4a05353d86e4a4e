package account_test

// Attacks on issue #13 ("several server nodes on one PostgreSQL, with the
// same guarantees as one node"). Each test runs two rules services, two
// "nodes", on two store handles of one database (the fixture's SQLite file,
// or its PostgreSQL database), and makes one node's transaction read the
// user, then waits while the other node's request runs, before letting the
// first go on. On SQLite the waiting transaction holds the write lock, so
// the other node's request waits for it (one node's guarantees); on
// PostgreSQL's READ COMMITTED it did not, and the first transaction then
// wrote what it decided on a row that had changed since it read it. Now a
// write transaction reads the user's row with a row lock (sqlstore), so
// the other node's request waits there too.
//
// Every test failed on PostgreSQL before the row lock; all pass on both.

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/sqlstore"
	"github.com/softtoken/softtoken/server/store"
)

// pausing is a store whose next transaction, once armed, stops right after
// its first read of a user until resumed: the moment between the rules'
// read of the row (Service.change, granted) and their writes.
type pausing struct {
	store.Store
	armed  atomic.Bool
	read   chan struct{}
	resume chan struct{}
}

func (p *pausing) Update(ctx context.Context, fn func(store.Tx) error) error {
	return p.Store.Update(ctx, func(tx store.Tx) error { return fn(&pausingTx{Tx: tx, p: p}) })
}

type pausingTx struct {
	store.Tx
	p *pausing
}

func (t *pausingTx) pause() {
	if t.p.armed.CompareAndSwap(true, false) {
		t.p.read <- struct{}{}
		<-t.p.resume
	}
}

func (t *pausingTx) UserByID(id int64) (store.User, error) {
	u, err := t.Tx.UserByID(id)
	t.pause()
	return u, err
}

func (t *pausingTx) UserByUserID(userID string) (store.User, error) {
	u, err := t.Tx.UserByUserID(userID)
	t.pause()
	return u, err
}

// secondNode opens the fixture's database a second time, as another server
// node does, with the same master key and rules, behind a pausing store.
func secondNode(t *testing.T, f *fixture) (*account.Service, *pausing) {
	t.Helper()
	var db *sqlstore.DB
	var err error
	if f.dsn != "" {
		db, err = postgres.Open(context.Background(), f.dsn)
	} else {
		db, err = sqlite.Open(context.Background(), f.path)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sealer, _ := seal.New(make([]byte, 32))
	p := &pausing{Store: db, read: make(chan struct{}), resume: make(chan struct{})}
	svc := account.New(p, sealer, account.Config{MaxFailures: 3, LockFor: time.Minute, Hash: f.hash,
		SMS: sms.Outbox{Dir: f.outbox}, Now: func() time.Time { return f.now }})
	return svc, p
}

// interleave runs b on node B until its transaction has read the user,
// then a (on node A) to its end, or for as long as it waits on B's
// transaction (SQLite), then lets b finish. It returns both errors.
func interleave(t *testing.T, p *pausing, b, a func() error) (errB, errA error) {
	t.Helper()
	p.armed.Store(true)
	doneB := make(chan error, 1)
	go func() { doneB <- b() }()
	select {
	case <-p.read:
	case err := <-doneB:
		t.Fatalf("node B's request ended before it read the user: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("node B's request never read the user")
	}
	doneA := make(chan error, 1)
	go func() { doneA <- a() }()
	var aFinished bool
	select {
	case errA = <-doneA:
		aFinished = true
	case <-time.After(700 * time.Millisecond): // waiting for B's transaction: one writer
	}
	close(p.resume)
	errB = <-doneB
	if !aFinished {
		errA = <-doneA
	}
	return errB, errA
}

// signedIn is alice's grant on svc after her password and a token passcode.
func signedIn(t *testing.T, f *fixture, svc *account.Service) account.Grant {
	t.Helper()
	ctx := context.Background()
	g, _, err := svc.CheckPassword(ctx, admin, "alice", []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	g, err = svc.CheckPasscode(ctx, admin, g, f.code(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// enrolCode is a code of the enrolment's new token now.
func enrolCode(t *testing.T, f *fixture, e *account.Enrolment) string {
	t.Helper()
	c, err := e.Token.Code(f.now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An administrator's change on node A (disable, reset, token revoke) is
// silently undone by an enrolment of the user that read the row on node B
// just before: B writes back the row it read (active, with 2FA) and its
// new token, and moves the epoch past A's, so that its grant is live. On
// one node the enrolment is either done before the change (which then
// undoes it) or refused (ErrSignedOut). Here the user is disabled, or
// reset, or has had their token revoked, and keeps a live session with a
// new token all the same: the attacker an administrator is locking out
// (Reset's purpose: "the account may have been someone else's") stays in.
func TestNodesAdminChangeUndoneByEnrolment(t *testing.T) {
	onEach(t, testNodesAdminChangeUndoneByEnrolment)
}

func testNodesAdminChangeUndoneByEnrolment(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		do   func(*account.Service) error
		// holds checks what the administrator's change guarantees.
		holds func(v account.UserDetail) bool
	}{
		{"user disable", func(s *account.Service) error { return s.SetActive(ctx, admin, account.ByAdmin("alice"), false) },
			func(v account.UserDetail) bool { return !v.Active }},
		{"user reset", func(s *account.Service) error {
			_, err := s.Reset(ctx, admin, account.ByAdmin("alice"), []byte("reset password 1"))
			return err
		}, func(v account.UserDetail) bool { return v.TokenSerial == "" && v.MustChangePassword }},
		{"token revoke", func(s *account.Service) error { return s.RevokeToken(ctx, admin, account.ByAdmin("alice")) },
			func(v account.UserDetail) bool { return v.TokenSerial == "" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, on)
			nodeB, p := secondNode(t, f)
			g := signedIn(t, f, nodeB)
			e, err := nodeB.NewEnrolment(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			code := enrolCode(t, f, e)
			var ng account.Grant
			errB, errA := interleave(t, p, func() error {
				var err error
				ng, err = nodeB.CompleteEnrolment(ctx, admin, e, code)
				return err
			}, func() error { return c.do(f.svc) })
			if errA != nil {
				t.Fatalf("the administrator's %s failed: %v", c.name, errA)
			}
			v, err := f.svc.User(ctx, account.CommandLine, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if !c.holds(v) {
				t.Errorf("the administrator's %s (audited OK) was undone by an enrolment on another node (its error: %v): active %v, token %q, must change password %v",
					c.name, errB, v.Active, v.TokenSerial, v.MustChangePassword)
			}
			if errB == nil {
				// The enrolment won: its grant must not outlive the change.
				if _, err := nodeB.NewEnrolment(ctx, ng); err == nil {
					t.Errorf("after the administrator's %s, the enrolment's grant is still live", c.name)
				}
			}
		})
	}
}

// A disable on node A does not end a session that node B is taking for the
// user at that moment: B checked the grant on the row it read, A dropped
// the lease and moved the epoch, and then B took the lease. On one node
// the disable comes wholly before (the grant is refused) or after (the
// lease is dropped).
func TestNodesSessionTakenAcrossDisable(t *testing.T) {
	onEach(t, testNodesSessionTakenAcrossDisable)
}

func testNodesSessionTakenAcrossDisable(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	nodeB, p := secondNode(t, f)
	g := signedIn(t, f, nodeB)
	errB, errA := interleave(t, p, func() error { return nodeB.TakeSession(ctx, admin, g, account.NewHolder()) },
		func() error { return f.svc.SetActive(ctx, admin, account.ByAdmin("alice"), false) })
	if errA != nil {
		t.Fatal(errA)
	}
	leases, err := f.svc.Sessions(ctx, account.CommandLine)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leases {
		if l.UserID == "alice" {
			t.Errorf("a disabled user holds a session taken on another node during the disable (TakeSession: %v): %+v", errB, l)
		}
	}
}

// Two enrolments of one user, from one grant, on two nodes at once: both
// succeed (each client is told its token is the user's; only the later
// one is), where CompleteEnrolment promises that another enrolment
// completing first refuses it (ErrSignedOut), as it does on one node.
func TestNodesTwoEnrolmentsBothSucceed(t *testing.T) {
	onEach(t, testNodesTwoEnrolmentsBothSucceed)
}

func testNodesTwoEnrolmentsBothSucceed(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	nodeB, p := secondNode(t, f)
	g := signedIn(t, f, nodeB)
	e1, err := nodeB.NewEnrolment(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := f.svc.NewEnrolment(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := enrolCode(t, f, e1), enrolCode(t, f, e2)
	errB, errA := interleave(t, p, func() error { _, err := nodeB.CompleteEnrolment(ctx, admin, e1, c1); return err },
		func() error { _, err := f.svc.CompleteEnrolment(ctx, admin, e2, c2); return err })
	if errA == nil && errB == nil {
		v, _ := f.svc.User(ctx, account.CommandLine, "alice")
		t.Errorf("two enrolments of one grant both succeeded (tokens %s and %s; the user's is %s): the first client holds a token that is not the user's",
			e2.Token.Serial, e1.Token.Serial, v.TokenSerial)
	}
	for _, err := range []error{errA, errB} {
		if err != nil && !errors.Is(err, account.ErrSignedOut) {
			t.Errorf("an enrolment failed otherwise than ErrSignedOut: %v", err)
		}
	}
}

// The 30-day rule (one temporary passcode or help-desk number in 30 days)
// holds on one node; two self-help desk requests on two nodes at once are
// both granted, each checking the rule on the row as it was before the
// other wrote it.
func TestNodesThirtyDayRuleRaced(t *testing.T) { onEach(t, testNodesThirtyDayRuleRaced) }

func testNodesThirtyDayRuleRaced(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	nodeB, p := secondNode(t, f)
	if err := f.svc.SaveAnswers(ctx, admin, signedIn(t, f, f.svc), map[int]string{1: "first school", 2: "some city"}); err != nil {
		t.Fatal(err)
	}
	pw, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.svc.QuestionFor(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	ga, err := f.svc.CheckAnswer(ctx, admin, pw, q.ID, map[int]string{1: "First School", 2: "some city"}[q.ID])
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var issued []string
	issue := func(s *account.Service) func() error {
		return func() error {
			tp, err := s.IssueTempPasscode(ctx, admin, ga.Self(), 3, 7)
			if err == nil {
				mu.Lock()
				issued = append(issued, tp.Code)
				mu.Unlock()
			}
			return err
		}
	}
	errB, errA := interleave(t, p, issue(nodeB), issue(f.svc))
	if len(issued) > 1 {
		t.Errorf("%d temporary passcodes issued at once on two nodes under the 30-day rule", len(issued))
	}
	for _, err := range []error{errA, errB} {
		if err != nil && !errors.Is(err, account.ErrTooSoon) {
			t.Errorf("a request failed otherwise than ErrTooSoon: %v", err)
		}
	}
}
