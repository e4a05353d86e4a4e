package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/ldaptest"
	"github.com/softtoken/softtoken/server/wire"
)

// ldapArgs are the --ldap-… flags of srv, with the service account's
// password in a file of mode 600.
func ldapArgs(t *testing.T, srv *ldaptest.Server) []string {
	t.Helper()
	pwFile := filepath.Join(t.TempDir(), "bind-password")
	if err := os.WriteFile(pwFile, []byte(ldaptest.BindPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--ldap-url", srv.URL, "--ldap-bind-dn", ldaptest.BindDN, "--ldap-bind-password-file", pwFile,
		"--ldap-base", ldaptest.Base, "--ldap-group", ldaptest.Group}
}

// ldap sync --dry-run says what it would do and does nothing; ldap sync
// does it, the welcome mails in the outbox, each change in the audit as
// the directory's; a member taken out of the group is disabled.
func TestLDAPSync(t *testing.T) {
	srv := ldaptest.Start(t,
		ldaptest.User{UID: "dana", Password: "dana-dir-pass-1", Mail: "dana@bank.test", Lang: "it", Member: true},
		ldaptest.User{UID: "erin", Password: "erin-dir-pass-1", Mail: "erin@bank.test", Member: true})
	a := newAdmin(t)
	args := ldapArgs(t, srv)
	out, err := a.run("", append([]string{"ldap", "sync", "--dry-run"}, args...)...)
	if err != nil || !strings.Contains(out, "dry run") || !strings.Contains(out, "add dana") || !strings.Contains(out, "add erin") {
		t.Fatalf("dry run: %s, %v", out, err)
	}
	if list, _ := a.run("", "user", "list"); strings.Contains(list, "dana") {
		t.Fatalf("a dry run added dana: %s", list)
	}
	out, err = a.run("", append([]string{"ldap", "sync"}, args...)...)
	if err != nil || !strings.Contains(out, "add dana: welcome mail sent to dana@bank.test") {
		t.Fatalf("sync: %s, %v", out, err)
	}
	if mails, _ := filepath.Glob(filepath.Join(filepath.Dir(a.db), "outbox", "*.eml")); len(mails) != 2 {
		t.Errorf("%d welcome mails, want 2", len(mails))
	}
	srv.RemoveMember(t, "erin")
	out, err = a.run("", append([]string{"ldap", "sync", "--json"}, args...)...)
	if err != nil || !strings.Contains(out, `"action": "disable"`) || !strings.Contains(out, `"userid": "erin"`) {
		t.Fatalf("sync after erin left: %s, %v", out, err)
	}
	audit, _ := a.run("", "audit", "--json", "--user", "erin")
	if !strings.Contains(audit, "user disable") || !strings.Contains(audit, "via directory sync") {
		t.Errorf("erin's audit:\n%s", audit)
	}
	pwFile := args[5]
	if err := os.Chmod(pwFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := a.run("", append([]string{"ldap", "sync"}, args...)...); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a password file others may read: %v", err)
	}
}

// serve with the --ldap-… flags syncs at once, and its websocket checks a
// directory user's password with the directory: right, wrong, and busy
// while the directory is down.
func TestServeWithDirectory(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.User{UID: "dana", Password: "dana-dir-pass-1", Mail: "dana@bank.test", Member: true})
	a := newAdmin(t)
	addr, stop := a.serve(append(ldapArgs(t, srv), "--ldap-sync-every", "1h")...)
	defer stop()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if list, _ := a.run("", "user", "list"); strings.Contains(list, "dana") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve's sync made no user dana")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, tc := range []struct {
		pw      string
		invalid bool
	}{{"dana-dir-pass-1", false}, {"dana-dir-pass-2", true}} {
		if r := wsLogin(t, addr, "dana", tc.pw, ""); (r.Result == wire.ResultInvalidLogin) != tc.invalid {
			t.Errorf("login with %s: %+v", tc.pw, r)
		}
	}
	srv.Stop()
	if r := wsLogin(t, addr, "dana", "dana-dir-pass-1", ""); r.Result != wire.ResultBusy {
		t.Errorf("login with the directory down: %+v, want %q", r, wire.ResultBusy)
	}
}
