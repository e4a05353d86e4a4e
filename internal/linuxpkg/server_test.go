//go:build linuxpkg

package linuxpkg

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	serverPkg  = "softtoken-server"
	serverUser = "softtoken-server"
	unitPath   = "/usr/lib/systemd/system/softtoken-server.service"
	envPath    = "/etc/softtoken-server/env"
	stateDir   = "/var/lib/softtoken-server"
)

// The server's .deb installs, makes its user, state directory and env
// file's group; its unit verifies and is hardened as docs/deploy.md says;
// the unit's command line, run as the unit runs it, serves /readyz on an
// SQLite database in the state directory and stops on SIGTERM; a purge
// leaves only the state directory and the user, as documented.
func TestServerPackage(t *testing.T) {
	deb := distFile(t, serverPkg, "deb")
	for _, p := range []string{stateDir} {
		if _, err := os.Lstat(p); err == nil {
			t.Fatalf("%s exists on this machine: the test would remove it", p)
		}
	}
	if _, err := user.Lookup(serverUser); err == nil {
		t.Fatalf("the user %s exists on this machine: the test would remove it", serverUser)
	}
	t.Cleanup(func() { removeUserAndState(t) })
	files := install(t, serverPkg, deb)
	checkInstalled(t)
	if out, err := exec.Command("systemd-analyze", "verify", unitPath).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unitPath, err, out)
	}
	service := iniSection(t, unitPath, "Service")
	checkHardening(t, service)

	// The admin commands as docs/deploy.md runs them, before the first
	// start: as the service's user, on the service's database.
	run(t, "bash", "-c", stAdmin+"\nst-admin migrate")
	addr := freeAddr(t)
	appendEnv(t, "SOFTTOKEN_LISTEN="+addr)
	// Installed again, as an upgrade is: the env file stays as the
	// administrator left it, with its group (the server below listens
	// where it says), and the scripts run again without harm.
	run(t, "dpkg", "-i", deb)
	checkInstalled(t)
	srv := startUnit(t, service)
	waitReady(t, srv, "http://"+addr)
	srv.checkGODEBUG(t)
	checkStateFiles(t)
	srv.stop(t)

	purge(t, serverPkg, files)
	if _, err := os.Lstat(filepath.Dir(envPath)); err == nil {
		t.Errorf("%s is left after the purge", filepath.Dir(envPath))
	}
	if _, err := os.Stat(filepath.Join(stateDir, "softtoken.db")); err != nil {
		t.Errorf("the purge removed the database, which it must keep: %v", err)
	}
	if _, err := user.Lookup(serverUser); err != nil {
		t.Errorf("the purge removed the user that owns the state directory: %v", err)
	}
}

// stAdmin is docs/deploy.md's shell function for the admin commands.
const stAdmin = `st-admin() { runuser -u softtoken-server -- env SOFTTOKEN_DB=/var/lib/softtoken-server/softtoken.db \
        $(grep -E '^[A-Z_]+=' /etc/softtoken-server/env) softtoken-server "$@"; }`

// removeUserAndState removes what the package deliberately leaves (the
// test made sure neither was there before it).
func removeUserAndState(t *testing.T) {
	t.Helper()
	if err := os.RemoveAll(stateDir); err != nil {
		t.Error(err)
	}
	if _, err := user.Lookup(serverUser); err == nil {
		if out, err := exec.Command("userdel", serverUser).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v\n%s", serverUser, err, out)
		}
	}
	if _, err := user.LookupGroup(serverUser); err == nil {
		if out, err := exec.Command("groupdel", serverUser).CombinedOutput(); err != nil {
			t.Errorf("groupdel %s: %v\n%s", serverUser, err, out)
		}
	}
}

// checkInstalled checks what the maintainer scripts made: a system user
// without a shell, the state directory only it may enter, and the env
// file readable by root and its group.
func checkInstalled(t *testing.T) {
	t.Helper()
	u, err := user.Lookup(serverUser)
	if err != nil {
		t.Fatalf("the package made no user %s: %v", serverUser, err)
	}
	if uid, _ := strconv.Atoi(u.Uid); uid == 0 || uid >= 1000 {
		t.Errorf("%s has uid %s, want a system user's", serverUser, u.Uid)
	}
	passwd := run(t, "getent", "passwd", serverUser)
	if !strings.HasSuffix(strings.TrimSpace(passwd), "nologin") {
		t.Errorf("%s can log in: %s", serverUser, passwd)
	}
	for _, tc := range []struct {
		path       string
		mode       os.FileMode
		owner, grp string
		wantDir    bool
	}{
		{stateDir, 0o700, serverUser, serverUser, true},
		{envPath, 0o640, "root", serverUser, false},
		{unitPath, 0o644, "root", "root", false},
		{"/usr/bin/softtoken-server", 0o755, "root", "root", false},
	} {
		checkFile(t, tc.path, tc.mode, tc.owner, tc.grp, tc.wantDir)
	}
}

// checkFile checks a file's kind, mode, owner and group.
func checkFile(t *testing.T, path string, mode os.FileMode, owner, grp string, dir bool) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	st := fi.Sys().(*syscall.Stat_t)
	o, _ := user.LookupId(strconv.Itoa(int(st.Uid)))
	g, _ := user.LookupGroupId(strconv.Itoa(int(st.Gid)))
	var oName, gName string
	if o != nil {
		oName = o.Username
	}
	if g != nil {
		gName = g.Name
	}
	if fi.Mode().Perm() != mode || fi.IsDir() != dir || oName != owner || gName != grp {
		t.Errorf("%s: %v %s:%s, want %v %s:%s (folder: %v)", path, fi.Mode(), oName, gName, mode, owner, grp, dir)
	}
}

// checkHardening checks the unit's [Service] settings docs/deploy.md
// promises.
func checkHardening(t *testing.T, service [][2]string) {
	t.Helper()
	for _, tc := range []struct{ key, want string }{
		{"User", serverUser}, {"Group", serverUser},
		{"ExecStart", "/usr/bin/softtoken-server serve"},
		{"EnvironmentFile", envPath},
		{"StateDirectory", "softtoken-server"}, {"ConfigurationDirectory", "softtoken-server"},
		{"UMask", "0077"}, {"Restart", "on-failure"},
		{"CapabilityBoundingSet", ""}, {"AmbientCapabilities", ""}, {"NoNewPrivileges", "yes"},
		{"ProtectSystem", "strict"}, {"ProtectHome", "yes"}, {"PrivateTmp", "yes"}, {"PrivateDevices", "yes"},
		{"ProtectKernelTunables", "yes"}, {"ProtectKernelModules", "yes"}, {"ProtectKernelLogs", "yes"},
		{"ProtectControlGroups", "yes"}, {"RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
		{"RestrictNamespaces", "yes"}, {"LockPersonality", "yes"}, {"MemoryDenyWriteExecute", "yes"},
	} {
		if got := values(service, tc.key); len(got) != 1 || got[0] != tc.want {
			t.Errorf("the unit says %s=%q, want %q once", tc.key, got, tc.want)
		}
	}
	if got := values(service, "SystemCallFilter"); strings.Join(got, ",") != "@system-service,~@privileged" {
		t.Errorf("the unit's system calls: SystemCallFilter=%q", got)
	}
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// appendEnv adds a line to the installed env file, as an administrator
// would.
func appendEnv(t *testing.T, line string) {
	t.Helper()
	f, err := os.OpenFile(envPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintln(f, line); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkStateFiles checks that the server made its database and master
// key in the state directory, its own and private (UMask=0077).
func checkStateFiles(t *testing.T) {
	t.Helper()
	for _, f := range []string{"softtoken.db", "softtoken.db.key"} {
		checkFile(t, filepath.Join(stateDir, f), 0o600, serverUser, serverUser, false)
	}
}

// waitReady waits up to a minute for the server's /readyz to answer 200
// "ready" (the first start migrates the database and makes its keys),
// and checks /healthz too.
func waitReady(t *testing.T, srv *unitProcess, base string) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(time.Minute)
	for {
		body, code, err := get(base + "/readyz")
		if err == nil && code == http.StatusOK && strings.TrimSpace(body) == "ready" {
			t.Logf("/readyz answered ready %v after the start", time.Since(start).Round(10*time.Millisecond))
			break
		}
		if srv.exited() || time.Now().After(deadline) {
			t.Fatalf("/readyz: %d %q %v; the server's log:\n%s", code, body, err, srv.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if body, code, err := get(base + "/healthz"); err != nil || code != http.StatusOK {
		t.Errorf("/healthz: %d %q %v", code, body, err)
	}
}

// get fetches a URL's body and status.
func get(url string) (string, int, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return string(b), resp.StatusCode, err
}

// unitProcess is the unit's command, started as the unit would start it.
type unitProcess struct {
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan struct{}
	err  error
}

func (p *unitProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// checkGODEBUG checks that the running server's runtime returns freed
// memory with MADV_FREE, as the unit and the image promise
// (docs/deploy.md, "Memory given back"): the last GODEBUG in its
// environment sets madvdontneed=0.
func (p *unitProcess) checkGODEBUG(t *testing.T) {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	godebug := ""
	for _, kv := range strings.Split(string(raw), "\x00") {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			godebug = v
		}
	}
	if godebug != "madvdontneed=0" {
		t.Errorf("the server runs with GODEBUG=%q, want madvdontneed=0", godebug)
	}
}

// stop sends SIGTERM, as systemctl stop does, and expects a clean exit
// within TimeoutStopSec.
func (p *unitProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("the server did not stop within 30 s of SIGTERM; its log:\n%s", p.log.String())
	}
	if p.err != nil {
		t.Errorf("the server stopped with %v; its log:\n%s", p.err, p.log.String())
	}
}
