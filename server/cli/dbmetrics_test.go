package cli_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/token"
)

// metric is the value of the line of body that begins with name (with
// its labels), and false when there is none.
func metric(body, name string) (float64, bool) {
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// scrape fetches the metrics at addr.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	status, body := get(t, "http://"+addr+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d\n%s", status, body)
	}
	return body
}

// The real `serve`: the web pages' sign-in steps are counted by site,
// step and outcome code; the database's round trips grow with the
// requests; the pool's size is --db-max-conns.
func TestServeMetricsOfWebSignInsAndTheDatabase(t *testing.T) {
	a := newAdmin(t)
	a.metrics = make(chan string, 1)
	trader := a.add("trader-pass\n", "--use2fa", "trader")
	addr, stop := a.serve("--metrics-listen", "127.0.0.1:0", "--db-max-conns", "3")
	defer stop()
	metricsAddr := <-a.metrics
	before := scrape(t, metricsAddr)

	enrol := servertest.NewBrowser(t, "http://"+addr+"/secenrol/")
	if status, _ := enrol.SignIn("trader", "wrong-pass"); status != http.StatusUnauthorized {
		t.Errorf("a wrong password on the enrol site: %d", status)
	}
	enrol.SignIn("trader", "trader-pass")
	seed, _ := token.ParseSecret(trader.TwoFASeed)
	code, _ := token.Token{Secret: seed, Params: token.DefaultParams()}.Code(time.Now())
	enrol.Post("passcode", url.Values{"passcode": {code}})
	desk := servertest.NewBrowser(t, "http://"+addr+"/sechelpdesk/")
	desk.Get("")
	desk.Post("", url.Values{"userid": {"trader"}})
	if status, _ := desk.Post("password", url.Values{"password": {"wrong-pass"}}); status != http.StatusUnauthorized {
		t.Errorf("a wrong password on the self-help desk: %d", status)
	}

	after := scrape(t, metricsAddr)
	for _, want := range []string{
		`softtoken_web_signins_total{outcome="invalid_login",site="enrol",step="password"} 1`,
		`softtoken_web_signins_total{outcome="ok",site="enrol",step="password"} 1`,
		`softtoken_web_signins_total{outcome="ok",site="enrol",step="passcode"} 1`,
		`softtoken_web_signins_total{outcome="invalid_login",site="helpdesk",step="password"} 1`,
		`go_sql_max_open_connections{db_name="softtoken"} 3`,
	} {
		if !hasLine(after, want) {
			t.Errorf("/metrics has no line %q:\n%s", want, after)
		}
	}
	for _, kind := range []string{"begin", "commit", "query", "exec"} {
		name := `softtoken_db_round_trips_total{kind="` + kind + `"}`
		was, _ := metric(before, name)
		now, ok := metric(after, name)
		if !ok || now <= was {
			t.Errorf("%s went from %v to %v over the sign-ins", name, was, now)
		}
	}
}

// With one connection in the pool (--db-max-conns 1), held by a sign-in
// whose transaction waits for SQLite's write lock (taken here, as another
// process would), /readyz's queries wait for the pool: the waits are
// counted, with their time.
func TestServeMetricsCountPoolWaits(t *testing.T) {
	a := newAdmin(t)
	a.metrics = make(chan string, 1)
	a.add("trader-pass\n", "trader")
	addr, stop := a.serve("--metrics-listen", "127.0.0.1:0", "--db-max-conns", "1")
	defer stop()
	metricsAddr := <-a.metrics
	const waits = `go_sql_wait_count_total{db_name="softtoken"}`
	if n, ok := metric(scrape(t, metricsAddr), waits); !ok || n != 0 {
		t.Fatalf("%s before: %v (%v)", waits, n, ok)
	}

	release := holdWriteLock(t, a.db)
	enrol := servertest.NewBrowser(t, "http://"+addr+"/secenrol/")
	enrol.Get("")
	signedIn := make(chan struct{})
	go func() {
		defer close(signedIn)
		resp, err := enrol.Client.PostForm("http://"+addr+"/secenrol/",
			url.Values{"userid": {"trader"}, "password": {"trader-pass"}, "csrf": {enrol.CSRF}})
		if err == nil {
			resp.Body.Close()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for n, _ := metric(scrape(t, metricsAddr), waits); n == 0 && time.Now().Before(deadline); n, _ = metric(scrape(t, metricsAddr), waits) {
		get(t, "http://"+addr+"/readyz")
	}
	release()
	<-signedIn
	body := scrape(t, metricsAddr)
	if n, _ := metric(body, waits); n < 1 {
		t.Errorf("%s is %v with the pool's one connection held", waits, n)
	}
	if d, _ := metric(body, `go_sql_wait_duration_seconds_total{db_name="softtoken"}`); d <= 0 {
		t.Errorf("the waits took %v seconds", d)
	}
}

// holdWriteLock takes SQLite's write lock on the database at path until
// release is called.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	raw, err := sqlite.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := raw.BeginTx(context.Background(), nil) // BEGIN IMMEDIATE: OpenRaw's settings
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`UPDATE users SET failures = failures WHERE id = -1`); err != nil {
		t.Fatal(err)
	}
	return func() {
		tx.Rollback()
		raw.Close()
	}
}
