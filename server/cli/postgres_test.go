package cli_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// Issue 13's check, with flags as an operator types them: `user add
// --db postgres://… --master-key FILE` and `serve` with the same flags
// work as they do on SQLite, on a real PostgreSQL: the user logs in over
// the websocket with a code of the seed user add printed, the welcome mail
// is in the outbox next to the key, and the audit's chain, written by
// both, verifies.
func TestServeAndUserAddOnPostgres(t *testing.T) {
	dsn := pgtest.Start(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "master.key")
	a := &admin{t: t, env: map[string]string{}}
	db := []string{"--db", dsn, "--master-key", key}
	u := a.add("trader-pass\n", append(db, "--use2fa", "--email", "trader@example.com", "trader")...)
	if mails, _ := filepath.Glob(filepath.Join(dir, "outbox", "*trader@example.com*")); len(mails) != 1 {
		t.Errorf("welcome mails next to the master key: %v", mails)
	}
	if out, err := a.run("", append([]string{"migrate"}, db...)...); err != nil || !strings.Contains(out, "schema version") {
		t.Errorf("migrate on a current database: %q, %v", out, err)
	}
	addr, stop := a.serve(db...)
	seed, err := token.ParseSecret(u.TwoFASeed)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := token.Token{Secret: seed, Params: token.DefaultParams()}.Code(time.Now())
	if r := wsLogin(t, addr, "TRADER", "trader-pass", code); r.Result != wire.ResultOK {
		t.Errorf("login on PostgreSQL: %+v", r)
	}
	stop()
	// The environment does what the flags did.
	a.db, a.env = dsn, map[string]string{"SOFTTOKEN_MASTER_KEY_FILE": key}
	if out, err := a.run("", "audit", "verify"); err != nil {
		t.Errorf("audit verify: %q, %v", out, err)
	}
}

// PostgreSQL has no folder next to it for the master key: a command
// without one is refused, saying which flag to give, and makes no key.
func TestPostgresNeedsAMasterKey(t *testing.T) {
	dsn := pgtest.Start(t)
	a := &admin{t: t, env: map[string]string{}}
	for _, args := range [][]string{{"user", "list"}, {"serve", "--listen", "127.0.0.1:0"}, {"migrate"}} {
		_, err := a.run("", append(args[:len(args):len(args)], "--db", dsn)...)
		if err == nil || !strings.Contains(err.Error(), "--master-key") {
			t.Errorf("%v without a master key: %v", args, err)
		}
	}
}
