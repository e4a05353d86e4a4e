//go:build linux

package cluster_test

import (
	"context"
	"crypto/rand"
	"database/sql/driver"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/sqlstore"
	"github.com/softtoken/softtoken/server/stress"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// BenchmarkStatements counts the database round trips of one login, one
// logout and one verifylogin (docs/benchmarks.md, "Several nodes"), on
// SQLite and on PostgreSQL: the real server in this process (server.New,
// as serve builds it) on a store that counts its round trips (type
// statements). Run it with
//
//	go test -run '^$' -bench Statements -benchtime 20x ./server/cluster
//
// trips/op counts BEGIN and COMMIT too, where they are trips of their
// own (on PostgreSQL they go with other statements: pipeline.go in
// server/sqlstore).
func BenchmarkStatements(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			n := &statements{}
			s := newCountedServer(b, backend, n, 0)
			b.Run("verifylogin", func(b *testing.B) { s.measure(b, s.verify()) })
			b.Run("login", func(b *testing.B) { s.measure(b, s.login(false)) })
			b.Run("logout+close", func(b *testing.B) { s.measure(b, s.login(true)) })
		})
	}
}

// TestRoundTrips holds the round trips to PostgreSQL of the busiest
// messages at most at today's figures (docs/benchmarks.md, "Round
// trips"), so that they cannot grow unnoticed: each message is sent a
// few times, and every time must keep within.
func TestRoundTrips(t *testing.T) {
	s := newCountedServer(t, "postgres", &statements{}, 0)
	for _, tc := range []struct {
		name    string
		prepare func(testing.TB) (func() wire.Response, func())
		most    int64
	}{
		{"verifylogin", s.verify(), 5},
		{"login", s.login(false), 8},
		{"logout+close", s.login(true), 6},
	} {
		for range 3 {
			if got := s.once(t, tc.prepare); got > tc.most {
				t.Errorf("%s: %d round trips, at most %d", tc.name, got, tc.most)
			}
		}
	}
}

// countedServer is the real server in this process, on a counted store,
// at a fake time that moves a time step at each use of a passcode.
type countedServer struct {
	addr  string
	now   atomic.Int64
	tr    trader
	stats *statements
	// wire counts the round trips on the wire, through a delaying proxy
	// (nil: direct).
	wire func() int64
}

// newCountedServer starts the server on a fresh database of backend
// ("sqlite", "postgres", or "postgres-unpipelined": each statement its own
// round trip, as before server/sqlstore's pipeline.go); on
// PostgreSQL, through a proxy that delays each direction by delay, if
// not 0 (pgtest.Delayed).
func newCountedServer(b testing.TB, backend string, n *statements, delay time.Duration) *countedServer {
	b.Helper()
	ctx := context.Background()
	s := &countedServer{}
	var connector driver.Connector
	dialect := sqlite.Dialect
	if strings.HasPrefix(backend, "postgres") {
		dsn := pgtest.Start(b)
		if delay > 0 {
			dsn, s.wire = pgtest.Delayed(b, dsn, delay)
		}
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			b.Fatal(err)
		}
		connector, dialect = stdlib.GetConnector(*cfg), postgres.Dialect
		if backend == "postgres-unpipelined" { // as before pipelined transactions, to compare
			dialect.Pipeline = nil
		}
	} else {
		connector = sqliteConnector(b, filepath.Join(b.TempDir(), "softtoken.db"))
	}
	st, err := sqlstore.OpenConnector(ctx, connector, dialect, sqlstore.WithRoundTrips(n.count))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		b.Fatal(err)
	}
	s.stats = n
	s.now.Store(1_800_000_000)
	now := func() time.Time { return time.Unix(s.now.Load(), 0) }
	keys, err := challenge.NewKeys(2048, 0, now)
	if err != nil {
		b.Fatal(err)
	}
	many := ratelimit.Rate{PerMinute: 100_000, Burst: 10_000} // one client address
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewUnstartedServer(nil)
	handler := server.New(server.Config{Store: st, Sealer: sealer, Keys: keys, Logger: quiet, Now: now,
		Rules: account.Config{Hash: cheap, SessionHold: time.Hour}, WS: ws.Config{Connections: many, Challenges: many}, EnrolURL: "http://" + srv.Listener.Addr().String() + "/secenrol/"})
	handler.Serve(srv.Config)
	srv.Start()
	b.Cleanup(srv.Close)
	s.addr = srv.Listener.Addr().String()
	for _, u := range []account.NewUser{
		{UserID: backendID, Password: []byte(backendPW), Admin: true, Service: true,
			Limits: account.ServiceLimits{Scopes: account.Scopes}, OwnPassword: true},
		{UserID: "trader", Password: []byte("password-of-trader"), Seed: true, OwnPassword: true},
	} {
		made, err := handler.Accounts.CreateUser(ctx, account.Admin, nil, u)
		if err != nil {
			b.Fatal(err)
		}
		if made.Token != nil {
			s.tr = trader{id: u.UserID, pw: string(u.Password), tok: *made.Token}
		}
	}
	return s
}

// sqliteConnector opens path as sqlite.OpenRaw does (its pragmas change no
// statement the store sends).
func sqliteConnector(b testing.TB, path string) driver.Connector {
	b.Helper()
	probe, err := sqlite.OpenRaw(path)
	if err != nil {
		b.Fatal(err)
	}
	defer probe.Close()
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return dsnConnector{dsn: "file:" + path + "?" + q.Encode(), drv: probe.Driver()}
}

// dsnConnector connects a driver to a DSN, as sql.Open does.
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// code is the trader's passcode of the next time step, which the server's
// fake time moves to, so that every use is a fresh code.
func (s *countedServer) code(b testing.TB) string {
	b.Helper()
	code, err := s.tr.tok.Code(time.Unix(s.now.Add(30), 0))
	if err != nil {
		b.Fatal(err)
	}
	return code
}

// measure runs b.N times: prepare, then the message it returns, then
// after, and reports the round trips of the message (see once), and
// times the message alone (in this process, with cheap password hashes:
// the time is not what a production server takes).
func (s *countedServer) measure(b *testing.B, prepare func(testing.TB) (msg func() wire.Response, after func())) {
	b.Helper()
	var all, wire int64
	b.StopTimer()
	b.ResetTimer() // the server's set-up (users made through the delaying proxy too) is not the message's time
	for range b.N {
		w0 := s.wireTrips()
		all += s.once(b, prepare)
		wire += s.wireTrips() - w0
	}
	b.ReportMetric(float64(all)/float64(b.N), "trips/op")
	if s.wire != nil {
		b.ReportMetric(float64(wire)/float64(b.N), "wire-trips/op")
	}
}

// wireTrips is the round trips on the wire so far (0 when direct).
func (s *countedServer) wireTrips() int64 {
	if s.wire == nil {
		return 0
	}
	return s.wire()
}

// once runs prepare, then the message it returns, then after, and
// returns the round trips from the message until the server is quiet
// again (what a socket's close makes the server do runs after the
// close). A benchmark's timer runs during the message alone.
func (s *countedServer) once(t testing.TB, prepare func(testing.TB) (msg func() wire.Response, after func())) int64 {
	t.Helper()
	msg, after := prepare(t)
	a0 := s.stats.snapshot()
	b, timed := t.(*testing.B)
	if timed {
		b.StartTimer()
	}
	r := msg()
	if timed {
		b.StopTimer()
	}
	if r.Result != wire.ResultOK {
		t.Fatalf("%+v", r)
	}
	s.settle()
	a1 := s.stats.snapshot()
	after()
	return a1 - a0
}

// settle waits until the server has sent no statement for a while: what
// a closed socket does runs after its close, outside the count.
func (s *countedServer) settle() {
	last := s.stats.snapshot()
	for {
		time.Sleep(100 * time.Millisecond)
		now := s.stats.snapshot()
		if now == last {
			return
		}
		last = now
	}
}

// verify prepares a back-end's verifylogin of the trader on an open
// service-account socket.
func (s *countedServer) verify() func(testing.TB) (func() wire.Response, func()) {
	var cl *stress.Client
	return func(t testing.TB) (func() wire.Response, func()) {
		if cl == nil {
			cl = backend(t, s.addr)
		}
		msg := map[string]string{"type": "verifylogin", "userid": s.tr.id, "pass": cl.Enc(s.tr.pw), "2fatoken": s.code(t)}
		return func() wire.Response { return send(t, cl, msg) }, func() {}
	}
}

// login prepares the trader's websocket login (password, passcode,
// session lease), each on a new socket, or a logout with the close of
// its socket.
func (s *countedServer) login(logout bool) func(testing.TB) (func() wire.Response, func()) {
	return func(t testing.TB) (func() wire.Response, func()) {
		cl, err := stress.Dial(context.Background(), s.addr, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		login := map[string]string{"type": "login", "userid": s.tr.id, "pass": cl.Enc(s.tr.pw), "2fatoken": s.code(t)}
		if !logout {
			return func() wire.Response { return send(t, cl, login) },
				func() { send(t, cl, map[string]string{"type": "logout"}); cl.Close(); s.settle() }
		}
		if r := send(t, cl, login); r.Result != wire.ResultOK {
			t.Fatalf("login: %+v", r)
		}
		s.settle()
		return func() wire.Response {
			defer cl.Close()
			return send(t, cl, map[string]string{"type": "logout"})
		}, func() {}
	}
}
