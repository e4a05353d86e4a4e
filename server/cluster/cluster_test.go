//go:build linux

package cluster_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/stress"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// serverBin is the softtoken-server binary the nodes run, built once by
// TestMain: killing a node with SIGKILL takes a process of its own.
var serverBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// Every test needs PostgreSQL, which pgtest skips with -short.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "softtoken-cluster-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temporary folder:", err)
		os.Exit(1)
	}
	serverBin = filepath.Join(dir, "softtoken-server")
	build := exec.Command("go", "build", "-o", serverBin, "github.com/softtoken/softtoken/server/cmd/softtoken-server")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build softtoken-server: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// The service account a web back-end signs in as, for verifylogin and
// adduser.
const (
	backendID = "backend"
	backendPW = "backend-password-0001"
)

// cheap are argon2id costs for the users the tests make themselves: the
// server checks each hash at the cost stored in it, so their logins cost
// little, and the rules are the same.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1}

// cluster is one PostgreSQL database and the master key file its nodes
// share, with the rules service on them for making users (what the admin
// commands do).
type cluster struct {
	t        testing.TB
	db, key  string
	accounts *server.Accounts
}

// newCluster makes a fresh database, its master key file (before any
// node starts, so that every node reads the same key) and the service
// account.
func newCluster(t testing.TB) *cluster {
	t.Helper()
	dir := t.TempDir()
	c := &cluster{t: t, db: pgtest.Start(t), key: filepath.Join(dir, "master.key")}
	a, err := server.OpenAccounts(context.Background(), server.Storage{DB: c.db, MasterKeyFile: c.key},
		account.Config{Hash: cheap, Mail: mail.Outbox{Dir: filepath.Join(dir, "outbox")}, MailFrom: "no-reply@example.com"})
	if err != nil {
		t.Fatalf("open the accounts: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	c.accounts = a
	c.addUser(account.NewUser{UserID: backendID, Password: []byte(backendPW), Admin: true, Service: true,
		Limits: account.ServiceLimits{Scopes: account.Scopes}, OwnPassword: true})
	return c
}

// node starts a softtoken-server serve process on the cluster's database
// and key, on 127.0.0.1:0, with per-address limits high enough for one
// test client address, and args; it stops (SIGTERM) when the test ends.
func (c *cluster) node(args ...string) *stress.Process {
	c.t.Helper()
	base := []string{"--master-key", c.key, "--conn-rate", "100000,10000", "--challenge-rate", "100000,10000"}
	p, err := stress.Start(context.Background(), serverBin, c.db, nil, append(base, args...)...)
	if err != nil {
		c.t.Fatalf("start a node: %v", err)
	}
	c.t.Cleanup(func() {
		p.Stop()
		if c.t.Failed() {
			c.t.Logf("log of the node on %s:\n%s", p.Addr, p.Log())
		}
	})
	return p
}

// addUser makes a user as `softtoken-server user add` does.
func (c *cluster) addUser(n account.NewUser) account.Created {
	c.t.Helper()
	made, err := c.accounts.CreateUser(context.Background(), account.Admin, nil, n)
	if err != nil {
		c.t.Fatalf("add %s: %v", n.UserID, err)
	}
	return made
}

// trader is a user with a password and a token.
type trader struct {
	id, pw string
	tok    token.Token
}

// trader makes a user with a token, whose password is their own.
func (c *cluster) trader(id string) trader {
	c.t.Helper()
	pw := "password-of-" + id
	made := c.addUser(account.NewUser{UserID: id, Password: []byte(pw), Seed: true, OwnPassword: true})
	return trader{id: id, pw: pw, tok: *made.Token}
}

// code is the trader's passcode now, plus steps time steps.
func (tr trader) code(t testing.TB, steps int) string {
	t.Helper()
	code, err := tr.tok.Code(time.Now().Add(time.Duration(steps*tr.tok.Period) * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// dial opens a socket to the node at addr and asks for a challenge.
func dial(t testing.TB, addr string) *stress.Client {
	t.Helper()
	cl, err := stress.Dial(context.Background(), addr, "", nil)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// login sends a login to the node at addr on a new socket, and returns
// the reply and the socket (closed when the test ends).
func login(t testing.TB, addr, userID, pw, code string) (wire.Response, *stress.Client) {
	t.Helper()
	cl := dial(t, addr)
	r, err := cl.Login(userID, pw, code)
	if err != nil {
		t.Fatalf("login %s on %s: %v", userID, addr, err)
	}
	return r, cl
}

// backend is a socket to the node at addr logged in as the service
// account.
func backend(t testing.TB, addr string) *stress.Client {
	t.Helper()
	r, cl := login(t, addr, backendID, backendPW, "")
	if r.Result != wire.ResultOK {
		t.Fatalf("service account login on %s: %+v", addr, r)
	}
	return cl
}

// send sends msg on cl and fails the test on a socket error.
func send(t testing.TB, cl *stress.Client, msg any) wire.Response {
	t.Helper()
	r, err := cl.Send(msg)
	if err != nil {
		t.Fatalf("send %v: %v", msg, err)
	}
	return r
}
