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

// BenchmarkStatements counts the database statements of one login, one
// logout and one verifylogin (docs/benchmarks.md, "Several nodes"), on
// SQLite and on PostgreSQL: the real server in this process (server.New,
// as serve builds it) on a store whose database/sql driver counts what it
// is sent (type statements). Run it with
//
//	go test -run '^$' -bench Statements -benchtime 20x ./server/cluster
//
// stmts/op counts BEGIN and COMMIT too; tx/op counts the transactions.
func BenchmarkStatements(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			n := &statements{}
			s := newCountedServer(b, backend, n)
			b.Run("verifylogin", func(b *testing.B) { s.benchVerify(b) })
			b.Run("login", func(b *testing.B) { s.benchLogin(b, false) })
			b.Run("logout+close", func(b *testing.B) { s.benchLogin(b, true) })
		})
	}
}

// countedServer is the real server in this process, on a counted store,
// at a fake time that moves a time step at each use of a passcode.
type countedServer struct {
	addr  string
	now   atomic.Int64
	tr    trader
	stats *statements
}

// newCountedServer starts the server on a fresh database of backend.
func newCountedServer(b *testing.B, backend string, n *statements) *countedServer {
	b.Helper()
	ctx := context.Background()
	var connector driver.Connector
	dialect := sqlite.Dialect
	if backend == "postgres" {
		cfg, err := pgx.ParseConfig(pgtest.Start(b))
		if err != nil {
			b.Fatal(err)
		}
		connector, dialect = stdlib.GetConnector(*cfg), postgres.Dialect
	} else {
		connector = sqliteConnector(b, filepath.Join(b.TempDir(), "softtoken.db"))
	}
	st, err := sqlstore.Open(ctx, n.open(connector), dialect)
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
	s := &countedServer{stats: n}
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
func sqliteConnector(b *testing.B, path string) driver.Connector {
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
func (s *countedServer) code(b *testing.B) string {
	b.Helper()
	code, err := s.tr.tok.Code(time.Unix(s.now.Add(30), 0))
	if err != nil {
		b.Fatal(err)
	}
	return code
}

// measure runs b.N times: prepare, then the message it returns, then
// after. It counts the statements from the message until the server is
// quiet again (what a socket's close makes the server do runs after the
// close), and times the message alone (in this process, with cheap
// password hashes: the time is not what a production server takes).
func (s *countedServer) measure(b *testing.B, prepare func() (msg func() wire.Response, after func())) {
	b.Helper()
	var all, txs int64
	b.StopTimer()
	for range b.N {
		msg, after := prepare()
		a0, t0 := s.stats.snapshot()
		b.StartTimer()
		r := msg()
		b.StopTimer()
		if r.Result != wire.ResultOK {
			b.Fatalf("%+v", r)
		}
		s.settle()
		a1, t1 := s.stats.snapshot()
		all, txs = all+a1-a0, txs+t1-t0
		after()
	}
	b.ReportMetric(float64(all)/float64(b.N), "stmts/op")
	b.ReportMetric(float64(txs)/float64(b.N), "tx/op")
}

// settle waits until the server has sent no statement for a while: what
// a closed socket does runs after its close, outside the count.
func (s *countedServer) settle() {
	last, _ := s.stats.snapshot()
	for {
		time.Sleep(100 * time.Millisecond)
		now, _ := s.stats.snapshot()
		if now == last {
			return
		}
		last = now
	}
}

// benchVerify measures a back-end's verifylogin of the trader on an open
// service-account socket.
func (s *countedServer) benchVerify(b *testing.B) {
	cl := backend(b, s.addr)
	s.measure(b, func() (func() wire.Response, func()) {
		msg := map[string]string{"type": "verifylogin", "userid": s.tr.id, "pass": cl.Enc(s.tr.pw), "2fatoken": s.code(b)}
		return func() wire.Response { return send(b, cl, msg) }, func() {}
	})
}

// benchLogin measures the trader's websocket login (password, passcode,
// session lease), each on a new socket, or a logout with the close of
// its socket.
func (s *countedServer) benchLogin(b *testing.B, logout bool) {
	s.measure(b, func() (func() wire.Response, func()) {
		cl, err := stress.Dial(context.Background(), s.addr, "", nil)
		if err != nil {
			b.Fatal(err)
		}
		login := map[string]string{"type": "login", "userid": s.tr.id, "pass": cl.Enc(s.tr.pw), "2fatoken": s.code(b)}
		if !logout {
			return func() wire.Response { return send(b, cl, login) },
				func() { send(b, cl, map[string]string{"type": "logout"}); cl.Close(); s.settle() }
		}
		if r := send(b, cl, login); r.Result != wire.ResultOK {
			b.Fatalf("login: %+v", r)
		}
		s.settle()
		return func() wire.Response {
			defer cl.Close()
			return send(b, cl, map[string]string{"type": "logout"})
		}, func() {}
	})
}
