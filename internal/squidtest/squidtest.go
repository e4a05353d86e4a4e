// Package squidtest runs a private instance of Debian's squid, a real
// HTTP proxy, for tests of clients behind a proxy. The proxy has a name
// table of its own (Options.Hosts), so a test can use a host name that
// resolves through the proxy only: the access log naming that host shows
// a request went through the proxy. Under `make test`
// (SOFTTOKEN_REQUIRE_TOOLS=1, and the Makefile installs squid) a missing
// squid fails the test; elsewhere the test is skipped.
package squidtest

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Options configure the proxy.
type Options struct {
	// Hosts are lines of the proxy's own hosts file ("127.0.0.1 enrol.test").
	Hosts []string
	// Users require proxy authentication (basic) with these user names and
	// passwords; with none, and no NTLM, the proxy lets everyone through.
	Users map[string]string
	// NTLM makes the proxy ask for NTLM authentication (and nothing
	// else when Users is empty), with squid's ntlm_fake_auth helper: any
	// user name and password pass the handshake, and the access log names
	// the user (DOMAIN\user).
	NTLM bool
}

// Proxy is a running squid on 127.0.0.1.
type Proxy struct {
	// Addr is its host:port, URL http://Addr.
	Addr, URL string
	dir       string
}

// Start runs squid until the test ends.
func Start(t testing.TB, o Options) *Proxy {
	t.Helper()
	bin := lookSquid(t)
	// Squid drops root for user proxy, which must reach its files: a
	// folder of its own, not under t.TempDir (0700 and root's).
	dir, err := os.MkdirTemp("", "squidtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	port := freePort(t)
	p := &Proxy{Addr: "127.0.0.1:" + strconv.Itoa(port), dir: dir}
	p.URL = "http://" + p.Addr
	p.writeConfig(t, o)
	if os.Geteuid() == 0 {
		chownAll(t, dir)
	}
	p.run(t, bin)
	return p
}

// lookSquid finds squid's program, or skips the test without it (fails
// it under `make test`).
func lookSquid(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("squid")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/squid"); err != nil {
			if os.Getenv("SOFTTOKEN_REQUIRE_TOOLS") == "1" {
				t.Fatalf("squid is required (apt-get install squid): %v", err)
			}
			t.Skipf("no squid (apt-get install squid): %v", err)
		}
	}
	return bin
}

// writeConfig writes the proxy's hosts file, its users' passwords (if
// o has users) and squid.conf into its folder.
func (p *Proxy) writeConfig(t testing.TB, o Options) {
	t.Helper()
	dir := p.dir
	conf := []string{
		"http_port " + p.Addr,
		"pid_filename " + filepath.Join(dir, "squid.pid"),
		"access_log stdio:" + p.accessLog(),
		"cache_log " + filepath.Join(dir, "cache.log"),
		"coredump_dir " + dir,
		"hosts_file " + filepath.Join(dir, "hosts"),
		"cache deny all",
		"shutdown_lifetime 1 seconds",
		"dns_timeout 2 seconds",
	}
	write(t, filepath.Join(dir, "hosts"), strings.Join(o.Hosts, "\n")+"\n")
	if len(o.Users) > 0 {
		var lines []string
		for u, pw := range o.Users {
			lines = append(lines, u+":"+md5Crypt(pw, salt()))
		}
		write(t, filepath.Join(dir, "passwd"), strings.Join(lines, "\n")+"\n")
		conf = append(conf,
			"auth_param basic program /usr/lib/squid/basic_ncsa_auth "+filepath.Join(dir, "passwd"),
			"auth_param basic children 1",
			"auth_param basic realm softtoken-test")
	}
	if o.NTLM {
		conf = append(conf, "auth_param ntlm program /usr/lib/squid/ntlm_fake_auth", "auth_param ntlm children 1")
	}
	if len(o.Users) > 0 || o.NTLM {
		conf = append(conf, "acl authed proxy_auth REQUIRED", "http_access deny !authed")
	}
	conf = append(conf, "http_access allow all")
	write(t, filepath.Join(dir, "squid.conf"), strings.Join(conf, "\n")+"\n")
}

// run starts squid, stops it when the test ends, and waits for it to
// listen.
func (p *Proxy) run(t testing.TB, bin string) {
	t.Helper()
	cmd := exec.Command(bin, "-f", filepath.Join(p.dir, "squid.conf"), "-N")
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start squid: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("squid stopped at start: %s\n%s", out, p.CacheLog())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("squid does not listen on %s after 30 s: %s\n%s", p.Addr, out, p.CacheLog())
		}
	}
}

// WithUser is the proxy's URL with a user and password in it.
func (p *Proxy) WithUser(user, password string) string {
	return "http://" + user + ":" + password + "@" + p.Addr
}

func (p *Proxy) accessLog() string { return filepath.Join(p.dir, "access.log") }

// AccessLog is the proxy's access log so far (squid writes each request
// as it ends).
func (p *Proxy) AccessLog() string {
	b, _ := os.ReadFile(p.accessLog())
	return string(b)
}

// CacheLog is squid's own log, for a failing test's message.
func (p *Proxy) CacheLog() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "cache.log"))
	return string(b)
}

// WaitLog waits up to 5 s for the access log to contain s.
func (p *Proxy) WaitLog(s string) bool {
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(p.AccessLog(), s) {
			return true
		}
	}
	return false
}

// FreePort is a TCP port on 127.0.0.1 that nothing listened on a moment ago.
func FreePort(t testing.TB) int { return freePort(t) }

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func write(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// chownAll gives dir and its files to user proxy, whom squid runs as.
func chownAll(t testing.TB, dir string) {
	t.Helper()
	u, err := user.Lookup("proxy")
	if err != nil {
		t.Fatalf("squid runs as user proxy: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	err = filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(path, uid, gid)
	})
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func salt() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:8]
}
