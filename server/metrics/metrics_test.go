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

// Each outcome is counted under the label the adapter gave, latency by
// kind; nil metrics count nothing and do not panic.
func TestOutcomesCountedByLabel(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.Login("OK")
	m.Login("OK")
	m.Login("invalid user/password")
	m.Verification("account locked")
	m.Latency("login", time.Millisecond)
	m.Latency("verifylogin", time.Millisecond)
	for _, c := range []struct {
		name, result string
		want         float64
	}{{"softtoken_logins_total", "OK", 2}, {"softtoken_logins_total", "invalid user/password", 1}, {"softtoken_logins_total", "account locked", 0},
		{"softtoken_verifications_total", "account locked", 1}, {"softtoken_verifications_total", "OK", 0}} {
		if got := count(t, reg, c.name, c.result); got != c.want {
			t.Errorf("%s{result=%q} = %v, want %v", c.name, c.result, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "softtoken_request_duration_seconds"); n != 2 {
		t.Errorf("latency series: %d, want 2 (login, verifylogin)", n)
	}
	var none *metrics.Metrics
	none.Login("OK")
	none.Verification("OK")
	none.Latency("login", 0)
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
