package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/wire"
)

// Mails and text messages are counted as sent or failed by what their
// sender answered, and the error reaches the caller unchanged.
func TestSendsCountedByOutcome(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	down := errors.New("gateway down")
	failing := m.SMS(sms.SenderFunc(func(context.Context, sms.Message) error { return down }))
	working := m.Mail(mail.MailerFunc(func(context.Context, mail.Message) error { return nil }))
	if err := failing.Send(context.Background(), sms.Message{}); !errors.Is(err, down) {
		t.Errorf("SMS error: %v", err)
	}
	for range 2 {
		if err := working.Send(context.Background(), mail.Message{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, result string
		want         float64
	}{{"softtoken_sms_total", "failed", 1}, {"softtoken_sms_total", "sent", 0}, {"softtoken_mail_total", "sent", 2}, {"softtoken_mail_total", "failed", 0}} {
		if got := count(t, reg, c.name, c.result); got != c.want {
			t.Errorf("%s{result=%q} = %v, want %v", c.name, c.result, got, c.want)
		}
	}
}

// A login that asks for a passcode is not an outcome yet; message types
// other than logins and verifications, made up ones included, are not
// counted at all; nil metrics count nothing and do not panic.
func TestReplyCountsOutcomesOnly(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.Reply(wire.TypeLogin, wire.ResultNeed2FA, time.Millisecond)
	m.Reply(wire.TypeSend2FAToken, wire.ResultOK, time.Millisecond)
	m.Reply(wire.TypeVerifyLogin, wire.ResultInvalidLogin, time.Millisecond)
	m.Reply("made-up", wire.ResultUnknownType, time.Millisecond)
	if got := count(t, reg, "softtoken_logins_total", wire.ResultOK); got != 1 {
		t.Errorf("logins OK = %v, want 1", got)
	}
	if got := count(t, reg, "softtoken_logins_total", wire.ResultNeed2FA); got != 0 {
		t.Errorf("logins NEED2FA = %v, want 0", got)
	}
	if got := count(t, reg, "softtoken_verifications_total", wire.ResultInvalidLogin); got != 1 {
		t.Errorf("verifications = %v, want 1", got)
	}
	if n := testutil.CollectAndCount(reg, "softtoken_request_duration_seconds"); n != 3 {
		t.Errorf("latency series: %d, want 3 (login, send2fatoken, verifylogin; not the made-up type)", n)
	}
	var none *metrics.Metrics
	none.Reply(wire.TypeLogin, wire.ResultOK, 0)
	none.Lockout()
	if none.SMS(nil) != nil || none.Mail(nil) != nil {
		t.Error("nil metrics made a sender")
	}
}

// count is the value of the counter name{result=result} in reg (0 when
// the series does not exist).
func count(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return s.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
