package server_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/sqlstore"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// withToken is a server with a user "trader" (password "trader-pass")
// who has a token, and the token.
func withToken(t *testing.T) (*servertest.Server, token.Token) {
	t.Helper()
	s := servertest.New(t)
	tok := enrolled(t, s, "trader")
	s.Clock.Advance(30 * time.Second)
	return s, tok
}

// login signs trader in with the token's code of now, on the rules
// opened with the master key in keyFile (what a server started with that
// key would do).
func login(t *testing.T, s *servertest.Server, keyFile string, tok token.Token) error {
	t.Helper()
	acct, err := openRules(s, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	defer acct.Close()
	return loginOn(s, acct, tok)
}

// openRules opens the rules on s's database with the master key in
// keyFile, as a server starting with that key does.
func openRules(s *servertest.Server, keyFile string) (*server.Accounts, error) {
	return server.OpenAccounts(context.Background(), server.Storage{DB: s.DB(), MasterKeyFile: keyFile},
		account.Config{Now: s.Clock.Now, Hash: servertest.Cheap})
}

// loginOn signs trader in with the token's code of now on acct.
func loginOn(s *servertest.Server, acct *server.Accounts, tok token.Token) error {
	s.Clock.Advance(30 * time.Second) // a step of its own: never a replay
	code, _ := tok.Code(s.Clock.Now())
	_, err := acct.Login(context.Background(), account.Origin{Client: "test"}, "trader", []byte("trader-pass"), code)
	return err
}

// After `rekey` the seeds open under the new key only: the user logs in
// with the new key and not with the old one (kept as KEYFILE.old), and
// the audit's chain verifies under the new key and no longer under the
// old; a second rekey refuses to overwrite the old key's copy.
//
// The master key's fingerprint moves with the seeds: a node started with
// the old key after the rekey refuses to start, one with the new key
// starts; a node started before it, left running, fails the logins.
func TestRekey(t *testing.T) {
	s, tok := withToken(t)
	keyFile := s.DB() + ".key"
	before, _ := os.ReadFile(keyFile)
	running, err := openRules(s, keyFile) // a server left running with the old key
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	out := s.Admin("", "rekey")
	if !strings.Contains(out, "Re-sealed 1 seeds") {
		t.Errorf("rekey printed %q", out)
	}
	if after, _ := os.ReadFile(keyFile); string(after) == string(before) {
		t.Fatal("the key file still holds the old key")
	}
	if old, _ := os.ReadFile(keyFile + ".old"); string(old) != string(before) {
		t.Fatal("the old key was not kept as .old")
	}
	if err := login(t, s, keyFile, tok); err != nil {
		t.Errorf("login with the new key: %v", err)
	}
	if out := s.Admin("", "audit", "verify"); !strings.Contains(out, "The audit holds") {
		t.Errorf("audit verify under the new key: %s", out)
	}
	if _, err := s.TryAdmin("", "audit", "verify", "--master-key", keyFile+".old"); err == nil {
		t.Error("the audit chain still verifies under the old key: it was not linked again")
	}
	// Last: a login under the old key, as a server left running would
	// try, appends an audit record that no longer verifies
	// (docs/deploy.md: stop every server first).
	if _, err := openRules(s, keyFile+".old"); !errors.Is(err, sqlstore.ErrOtherMasterKey) {
		t.Errorf("a node started with the old key after the rekey: %v, want %v", err, sqlstore.ErrOtherMasterKey)
	}
	if err := loginOn(s, running, tok); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("login with the old key: %v, want %v", err, seal.ErrOpen)
	}
	if _, err := s.TryAdmin("", "rekey"); err == nil || !strings.Contains(err.Error(), ".old exists") {
		t.Errorf("a second rekey with the old key's copy in place: %v", err)
	}
}

// A rekey whose transaction fails at any of its writes changes nothing:
// the running server (under the old key) still verifies the user's
// codes, and the audit still verifies under the old key.
func TestRekeyThatFailsKeepsTheOldKey(t *testing.T) {
	for _, write := range []string{"ResealTokens", "SetMasterKey", "Audit", "RelinkAudit"} {
		t.Run(write, func(t *testing.T) {
			s, tok := withToken(t)
			key, err := seal.LoadKey(s.DB()+".key", "")
			if err != nil {
				t.Fatal(err)
			}
			acct := rulesOn(t, s.DB(), key)
			newKey := make([]byte, 32)
			newKey[0] = 1
			newSealer, _ := seal.New(newKey)
			newAudit, _ := server.AuditKey(newKey)
			for n := 1; ; n++ {
				acct.faults.Arm(n)
				_, err = acct.Rekey(context.Background(), account.Admin, newSealer, auditchain.New(newAudit))
				if acct.faults.Failed() == write || err == nil {
					break
				}
			}
			if !errors.Is(err, servertest.ErrInjected) {
				t.Fatalf("rekey failing at %s: %v", write, err)
			}
			code, _ := tok.Code(s.Clock.Now())
			if r := s.Verify("trader", "trader-pass", code); r != wire.ResultOK {
				t.Errorf("verifylogin under the old key after the failed rekey: %s", r)
			}
			if _, err := s.TryAdmin("", "audit", "verify"); err != nil {
				t.Errorf("audit verify under the old key: %v", err)
			}
			keptFingerprint(t, s, newKey)
		})
	}
}

// keptFingerprint checks that the database still names the old key: a
// node starts with it, and one with newKey, which a failed rekey did not
// move the seeds to, is refused.
func keptFingerprint(t *testing.T, s *servertest.Server, newKey []byte) {
	t.Helper()
	acct, err := openRules(s, s.DB()+".key")
	if err != nil {
		t.Fatalf("a node with the old key after the failed rekey: %v", err)
	}
	acct.Close()
	newFile := filepath.Join(t.TempDir(), "new.key")
	if err := os.WriteFile(newFile, []byte(base64.StdEncoding.EncodeToString(newKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openRules(s, newFile); !errors.Is(err, sqlstore.ErrOtherMasterKey) {
		t.Errorf("a node with the new key after the failed rekey: %v, want %v", err, sqlstore.ErrOtherMasterKey)
	}
}

// faultyRules is the rules service on a store whose writes can fail.
type faultyRules struct {
	*account.Service
	faults *servertest.Faults
}

// rulesOn opens the rules on the database at path, under key, through
// servertest.Faults.
func rulesOn(t *testing.T, path string, key []byte) faultyRules {
	t.Helper()
	auditKey, _ := server.AuditKey(key)
	db, err := sqlite.Open(context.Background(), path, sqlite.WithAuditKey(auditKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sealer, _ := seal.New(key)
	f := &servertest.Faults{Store: store.Store(db)}
	return faultyRules{account.New(f, sealer, account.Config{AuditChain: auditchain.New(auditKey)}), f}
}
