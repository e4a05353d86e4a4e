package server_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/store"
)

// pause is a store that, once armed, calls hook right after the first
// transaction that read a user's SMS number confirmation code (the
// reservation of a help desk number confirmation) has committed: between
// the reservation and the settlement, where the slow hash comparison is.
type pause struct {
	store.Store
	mu   sync.Mutex
	hook func()
}

func (p *pause) arm(hook func()) { p.mu.Lock(); p.hook = hook; p.mu.Unlock() }

func (p *pause) Update(ctx context.Context, fn func(store.Tx) error) error {
	var read bool
	err := p.Store.Update(ctx, func(tx store.Tx) error { return fn(&watchTx{Tx: tx, read: &read}) })
	if read {
		p.mu.Lock()
		hook := p.hook
		p.hook = nil
		p.mu.Unlock()
		if hook != nil {
			hook()
		}
	}
	return err
}

type watchTx struct {
	store.Tx
	read *bool
}

func (t *watchTx) SMSCodeOf(id int64, purpose string) (store.SMSCode, error) {
	if purpose == store.SMSPhone {
		*t.read = true
	}
	return t.Tx.SMSCodeOf(id, purpose)
}

// The 30-day rule of the help desk was checked, when a new
// number is confirmed, on the copy of the user read when the attempt was
// reserved, not on the row in the settling transaction. A second help desk
// session that got a temporary passcode while the first one's code was
// being compared (the argon2id comparison: tens of milliseconds) did not
// stop the first from also changing the number: two recoveries in one
// 30-day period, and the stale row written back whole. Now the rule
// applies to the current row.
func TestHelpdeskRaceKeepsThe30DayRule(t *testing.T) {
	p := &pause{}
	s := open(t, servertest.Options{Wrap: func(st store.Store) store.Store { p.Store = st; return p }})
	enrolled(t, s, "rita")
	d1 := helpdeskAtQuestion(t, s, "rita")
	if _, body := d1.Post("question", url.Values{"answer": {answerFor(d1)}}); !strings.Contains(body, "Temporary passcode") {
		t.Fatalf("the options page: %s", errorOf(body))
	}
	if _, body := d1.Post("options", url.Values{"phone": {"+447700900666"}, "days": {"0"}}); !strings.Contains(body, "SMS") {
		t.Fatalf("the new number: %s", errorOf(body))
	}
	d2 := helpdeskAtQuestion(t, s, "rita")
	if _, body := d2.Post("question", url.Values{"answer": {answerFor(d2)}}); !strings.Contains(body, "Temporary passcode") {
		t.Fatalf("the options page of the second session: %s", errorOf(body))
	}
	var tempBody string
	p.arm(func() { _, tempBody = d2.Post("options", url.Values{"days": {"3"}}) })
	_, numberBody := d1.Post("confirm", url.Values{"code": {s.LastSMS("+447700900666")}})
	gotTemp := strings.Contains(tempBody, "Your temporary passcode")
	gotNumber := strings.Contains(numberBody, "take over from your present token")
	t.Logf("temporary passcode issued: %v; new number confirmed: %v", gotTemp, gotNumber)
	if gotTemp && gotNumber {
		t.Errorf("two help desk sessions got a temporary passcode and a new number within one 30-day period")
	}
}
