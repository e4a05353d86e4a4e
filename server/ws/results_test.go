package ws

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/wire"
)

// The results table answers by code whatever wraps the outcome, the
// adapter's own failures by themselves, and nothing else.
func TestResultOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // "" for an internal error
	}{
		{"sentinel", account.ErrLocked, wire.ResultLocked},
		{"wrapped", fmt.Errorf("user x: %w", account.ErrNoSuchUser), wire.ResultInvalidLogin},
		{"held error", &account.HeldError{Open: true}, wire.ResultAlreadyLoggedIn},
		{"scope error", &account.ScopeError{}, wire.ResultNotAllowed},
		{"no hold of this back-end to release", account.ErrNoSession, wire.ResultNotAllowed},
		{"same password reads as weak", account.ErrSamePassword, wire.ResultWeakPassword},
		{"missing field of the adapter", required("userid"), wire.ResultMissingField},
		{"an outcome the protocol does not word", account.ErrUserExists, ""},
		{"a failure of the server", errors.New("disk full"), ""},
	}
	for _, tc := range tests {
		got, ok := resultOf(tc.err)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: resultOf(%v) = %q, %v; want %q", tc.name, tc.err, got, ok, tc.want)
		}
	}
	known := map[account.Code]bool{}
	for _, c := range account.Codes() {
		known[c] = true
	}
	for c := range results {
		if !known[c] {
			t.Errorf("results maps %q, which is no outcome of the rules", c)
		}
	}
}

// A login that asks for a passcode is not an outcome yet; message types
// other than logins and verifications, made up ones included, are not
// counted at all.
func TestCountCountsOutcomesOnly(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	for _, r := range []wire.Response{
		{Type: wire.TypeLogin, Result: wire.ResultNeed2FA},
		{Type: wire.TypeSend2FAToken, Result: wire.ResultOK},
		{Type: wire.TypeVerifyLogin, Result: wire.ResultInvalidLogin},
		{Type: "made-up", Result: wire.ResultUnknownType},
		{Type: wire.TypeAddUser, Result: wire.ResultOK},
	} {
		count(m, r, time.Millisecond)
	}
	for _, c := range []struct {
		name, result string
		want         float64
	}{
		{"softtoken_logins_total", wire.ResultOK, 1},
		{"softtoken_logins_total", wire.ResultNeed2FA, 0},
		{"softtoken_verifications_total", wire.ResultInvalidLogin, 1},
	} {
		if got := counter(t, reg, c.name, c.result); got != c.want {
			t.Errorf("%s{result=%q} = %v, want %v", c.name, c.result, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "softtoken_request_duration_seconds"); n != 3 {
		t.Errorf("latency series: %d, want 3 (login, send2fatoken, verifylogin; not the made-up type)", n)
	}
	count(nil, wire.Response{Type: wire.TypeLogin, Result: wire.ResultOK}, 0) // nil metrics count nothing
}

// counter is the value of the counter name{result=result} in reg (0 when
// the series does not exist).
func counter(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(families, func(f *dto.MetricFamily) bool { return f.GetName() == name })
	if i < 0 {
		return 0
	}
	series := families[i].GetMetric()
	j := slices.IndexFunc(series, func(m *dto.Metric) bool {
		return slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == "result" && l.GetValue() == result })
	})
	if j < 0 {
		return 0
	}
	return series[j].GetCounter().GetValue()
}
