package adminapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/sqlstore"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
)

// fixture is a real server, with its admin listener, and a rules service
// of its own on the same database: the admin command line's side, which
// makes keys and operators and reads the audit as the host would.
type fixture struct {
	*servertest.Server
	t    *testing.T
	acct *account.Service
}

// start starts a server for t.
func start(t *testing.T) *fixture { t.Helper(); return startWith(t, nil) }

// startWith starts a server for t whose store wrap wraps (nil: none).
func startWith(t *testing.T, wrap func(store.Store) store.Store) *fixture {
	t.Helper()
	lots := ratelimit.Rate{PerMinute: 1 << 20, Burst: 1 << 20}
	s := servertest.NewWith(t, servertest.Options{Wrap: wrap, WS: ws.Config{Connections: lots, Challenges: lots, MaxPendingPerAddr: 1 << 20}})
	key, err := seal.LoadKey(s.DB()+".key", "")
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := seal.New(key)
	auditKey, _ := server.AuditKey(key)
	db, err := sqlite.Open(context.Background(), s.DB(), sqlstore.WithAuditKey(auditKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &fixture{Server: s, t: t, acct: account.New(db, sealer, account.Config{Now: s.Clock.Now, Hash: servertest.Cheap})}
}

// key makes an API key named name with role, as `apikey add` does.
func (f *fixture) key(name string, role account.Role) string {
	f.t.Helper()
	k, err := f.acct.AddAPIKey(context.Background(), account.Admin, name, role)
	if err != nil {
		f.t.Fatal(err)
	}
	return k
}

// cliKey makes an API key with `softtoken-server apikey add --json`.
func (f *fixture) cliKey(name string, role account.Role) string {
	f.t.Helper()
	var out struct {
		Key string `json:"key"`
	}
	raw := f.Admin("", "apikey", "add", "--role", string(role), "--json", name)
	if err := json.Unmarshal([]byte(raw), &out); err != nil || out.Key == "" {
		f.t.Fatalf("apikey add printed %q: %v", raw, err)
	}
	return out.Key
}

// operator makes a user with a console role.
func (f *fixture) operator(userID string, role account.Role) {
	f.t.Helper()
	_, err := f.acct.CreateUser(context.Background(), account.Admin, nil,
		account.NewUser{UserID: userID, Password: []byte(userID + "-password"), OwnPassword: true, ConsoleRole: role})
	if err != nil {
		f.t.Fatal(err)
	}
}

// seeded makes a user with a token (`user add --use2fa`) whose password
// is userID-pass, and returns the token.
func (f *fixture) seeded(userID string) token.Token {
	f.t.Helper()
	var out struct {
		Seed   string `json:"2faseed"`
		Serial string `json:"token_serial"`
	}
	raw := f.Admin(userID+"-pass\n", "user", "add", "--use2fa", "--own-password", "--email", userID+"@example.com", userID)
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		f.t.Fatal(err)
	}
	secret, err := token.ParseSecret(out.Seed)
	if err != nil {
		f.t.Fatal(err)
	}
	return token.Token{Account: userID, Serial: out.Serial, Secret: secret, Params: token.DefaultParams()}
}

// code is tok's passcode now.
func (f *fixture) code(tok token.Token) string {
	f.t.Helper()
	c, err := tok.Code(f.Clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// answer is an answer of the API.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// code is the answer's error code ("" for none).
func (a answer) code() string {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// str is the answer's field name, as a string.
func (a answer) str(name string) string {
	s, _ := a.body[name].(string)
	return s
}

// call sends method path (under the admin listener) with key ("" for no
// Authorization header) and body ("" for none, JSON otherwise).
func (f *fixture) call(method, path, key, body string) answer {
	f.t.Helper()
	return f.callAt(f.AdminURL, method, path, "Bearer "+key, body, key != "")
}

// callAt sends method path to base with the Authorization header auth
// (sent only when withAuth).
func (f *fixture) callAt(base, method, path, auth, body string, withAuth bool) answer {
	f.t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if withAuth {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return f.do(req)
}

// do sends req and reads the answer.
func (f *fixture) do(req *http.Request) answer {
	f.t.Helper()
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, header: res.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// must checks that a has status want.
func (a answer) must(t *testing.T, want int) answer {
	t.Helper()
	if a.status != want {
		t.Fatalf("status %d, want %d: %s", a.status, want, a.raw)
	}
	return a
}

// audit is the audit as the admin command line reads it, of userID.
func (f *fixture) audit(userID string) []account.AuditEvent {
	f.t.Helper()
	events, err := f.acct.AuditEvents(context.Background(), account.CommandLine, account.AuditFilter{UserID: userID})
	if err != nil {
		f.t.Fatal(err)
	}
	return events
}
