package cli_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// get fetches url and returns its status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// The real `serve` with --metrics-listen 127.0.0.1:0: logins over the
// websocket are counted by their wire result, a lockout is counted, and
// the metrics are served on their own listener only, never on the public
// one; /healthz and /readyz answer on the public one.
func TestServeMetricsCountLoginsByResult(t *testing.T) {
	a := newAdmin(t)
	a.metrics = make(chan string, 1)
	trader := a.add("trader-pass\n", "--use2fa", "trader")
	a.add("victim-pass\n", "--use2fa", "victim")
	addr, stop := a.serve("--metrics-listen", "127.0.0.1:0", "--max-failures", "1")
	defer stop()
	metricsAddr := <-a.metrics

	seed, _ := token.ParseSecret(trader.TwoFASeed)
	code, _ := token.Token{Secret: seed, Params: token.DefaultParams()}.Code(time.Now())
	for _, l := range []struct{ user, pass, code, want string }{
		{"trader", "trader-pass", code, wire.ResultOK},
		{"trader", "wrong-pass", code, wire.ResultInvalidLogin},
		{"victim", "victim-pass", "000000", wire.ResultInvalidToken}, // and locked: --max-failures 1
	} {
		if r := wsLogin(t, addr, l.user, l.pass, l.code); r.Result != l.want {
			t.Fatalf("login %s/%s: %+v, want %s", l.user, l.pass, r, l.want)
		}
	}

	status, body := get(t, "http://"+metricsAddr+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d\n%s", status, body)
	}
	for _, want := range []string{
		fmt.Sprintf(`softtoken_logins_total{result=%q} 1`, wire.ResultOK),
		fmt.Sprintf(`softtoken_logins_total{result=%q} 1`, wire.ResultInvalidLogin),
		fmt.Sprintf(`softtoken_logins_total{result=%q} 1`, wire.ResultInvalidToken),
		`softtoken_lockouts_total 1`,
		`softtoken_request_duration_seconds_count{type="login"} 3`,
		`softtoken_hashing_busy_total 0`,
		`softtoken_hashing_running 0`,
		`softtoken_hashing_queued 0`,
		`softtoken_sockets_open `,
		`softtoken_web_sessions{site="enrol"} 0`,
		`softtoken_evictions_total{table="websocket"} 0`,
	} {
		if !hasLine(body, want) {
			t.Errorf("/metrics has no line %q:\n%s", want, body)
		}
	}
	if status, _ := get(t, "http://"+addr+"/metrics"); status == http.StatusOK {
		t.Error("the public listener serves /metrics")
	}
	for _, p := range []struct{ path, want string }{{"/healthz", "ok\n"}, {"/readyz", "ready\n"}} {
		if status, body := get(t, "http://"+addr+p.path); status != http.StatusOK || body != p.want {
			t.Errorf("GET %s: %d %q", p.path, status, body)
		}
	}
}

// hasLine reports whether body has the line want, or, for a want that
// ends with a space (a metric whose value varies), a line that begins
// with it.
func hasLine(body, want string) bool {
	for line := range strings.Lines(body) {
		line = strings.TrimSuffix(line, "\n")
		if line == want || strings.HasSuffix(want, " ") && strings.HasPrefix(line, want) {
			return true
		}
	}
	return false
}
