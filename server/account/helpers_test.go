package account_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/sms"
)

// newService is the rules service on a fresh SQLite file (see newFixture)
// with tune's changes to the fixture's configuration, and alice.
func newService(t *testing.T, tune func(*account.Config), opts ...func(*fixture)) *fixture {
	t.Helper()
	return newFixture(t, append([]func(*fixture){func(f *fixture) { f.tune = tune }}, opts...)...)
}

// tick moves the fixture's clock on by one token step, so that the next
// passcode of alice's token is not a replay of the last.
func (f *fixture) tick() { f.now = f.now.Add(30 * time.Second) }

// userState is what the tests look at of a user, read in one place (the
// administrator's view) so that a change of the view touches only this.
type userState struct {
	failures                    int
	locked, active, sms, twoFAs bool
	serial                      string
}

// stateOf is userID's state now.
func stateOf(t *testing.T, f *fixture, userID string) userState {
	t.Helper()
	v, err := f.svc.User(context.Background(), account.CommandLine, userID)
	if err != nil {
		t.Fatalf("user %s: %v", userID, err)
	}
	return userState{failures: v.Failures, locked: v.Locked, active: v.Active, sms: v.SMS, twoFAs: v.Use2FA, serial: v.TokenSerial}
}

// addUser creates a user with their own password (userID+" password")
// and the rest of n.
func addUser(t *testing.T, f *fixture, n account.NewUser) account.Created {
	t.Helper()
	n.Password, n.OwnPassword = []byte(n.UserID+" password"), true
	c, err := f.svc.CreateUser(context.Background(), admin, nil, n)
	if err != nil {
		t.Fatalf("create %s: %v", n.UserID, err)
	}
	return c
}

// passwordOf signs userID in with the password addUser gave them.
func passwordOf(t *testing.T, f *fixture, userID string) account.Grant {
	t.Helper()
	g, _, err := f.svc.CheckPassword(context.Background(), admin, userID, []byte(userID+" password"))
	if err != nil {
		t.Fatalf("%s's password: %v", userID, err)
	}
	return g
}

// events are userID's audit records of the event name.
func events(t *testing.T, f *fixture, userID, name string) []account.AuditEvent {
	t.Helper()
	all, err := f.svc.AuditEvents(context.Background(), account.CommandLine, account.AuditFilter{UserID: userID})
	if err != nil {
		t.Fatal(err)
	}
	var out []account.AuditEvent
	for _, e := range all {
		if e.Event == name {
			out = append(out, e)
		}
	}
	return out
}

// succeeded says whether an audit record is of an outcome that
// succeeded: the one place that knows how the audit words it.
func succeeded(e account.AuditEvent) bool {
	return e.Code == account.CodeOK
}

// texting makes the fixture keep the text messages the service sends in
// f.texts (and f.sendErr, when set, fail them after that).
func texting(f *fixture) {
	prev := f.tune
	f.tune = func(c *account.Config) {
		if prev != nil {
			prev(c)
		}
		c.SMS = sms.SenderFunc(func(_ context.Context, m sms.Message) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.texts = append(f.texts, m)
			return f.sendErr
		})
	}
}

var smsCode = regexp.MustCompile(`\b[0-9]{6}\b`)

// lastText is the code in the newest text message to phone.
func (f *fixture) lastText(t *testing.T, phone string) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.texts) - 1; i >= 0; i-- {
		if f.texts[i].To == phone {
			if c := smsCode.FindString(f.texts[i].Text); c != "" {
				return c
			}
		}
	}
	t.Fatalf("no code was texted to %s", phone)
	return ""
}

// textCount is how many text messages were sent.
func (f *fixture) textCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.texts)
}

// smsUser makes carol an SMS user on phone, with her own password.
func smsUser(t *testing.T, f *fixture, phone string) {
	t.Helper()
	addUser(t, f, account.NewUser{UserID: "carol", SMS: true, Phone: phone, Use2FA: true})
}
