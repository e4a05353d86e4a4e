//go:build wine

package wintest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/internal/squidtest"
	"github.com/softtoken/softtoken/server/servertest"
)

// enrolHost resolves through the proxy only: the PC's own resolver does
// not know it.
const enrolHost = "enrol.test"

// internetSettings is the registry key of the user's proxy settings.
const internetSettings = `HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings`

// `softtoken enrol` under Wine goes through the proxy that the user's
// Internet Settings name (set with `wine reg add`), to a server behind TLS
// with a test CA in the system's store, whose name only the proxy can
// resolve; ProxyOverride exempts hosts; an automatic configuration script
// (AutoConfigURL) is fetched and run, and chooses the proxy.
func TestEnrolThroughInternetSettings(t *testing.T) {
	srv, proxy, url := behindProxy(t, squidtest.Options{})
	initial := srv.AddUser("trader", "trader-pass")
	answers := "trader-pass\n" + initial + "\n3\nVolvo\n5\nRex\n"
	svc := service(t)
	t.Cleanup(func() {
		for _, v := range []string{"ProxyServer", "ProxyOverride", "AutoConfigURL"} {
			regTry(t, "delete", internetSettings, "/v", v, "/f")
		}
		reg(t, "add", internetSettings, "/v", "ProxyEnable", "/t", "REG_DWORD", "/d", "0", "/f")
	})

	// No proxy: the name is unknown here.
	reg(t, "add", internetSettings, "/v", "ProxyEnable", "/t", "REG_DWORD", "/d", "0", "/f")
	if out, errOut, err := softtoken(t, svc, answers, "enrol", url, "trader"); err == nil || !strings.Contains(errOut, "cannot reach the enrolment server "+enrolHost) {
		t.Fatalf("without a proxy: %v\n%s%s", err, out, errOut)
	}
	// An automatic configuration script that cannot be fetched is told.
	deadPAC := "http://127.0.0.1:" + strconv.Itoa(squidtest.FreePort(t)) + "/proxy.pac"
	reg(t, "add", internetSettings, "/v", "AutoConfigURL", "/t", "REG_SZ", "/d", deadPAC, "/f")
	if _, errOut, err := softtoken(t, svc, answers, "enrol", url, "trader"); err == nil || !strings.Contains(errOut, "cannot fetch this PC's automatic proxy configuration script "+deadPAC) {
		t.Errorf("with a PAC script that cannot be fetched: %v\n%s", err, errOut)
	}
	reg(t, "delete", internetSettings, "/v", "AutoConfigURL", "/f")

	// The proxy on, with the enrol host exempt: direct, so unreachable.
	reg(t, "add", internetSettings, "/v", "ProxyEnable", "/t", "REG_DWORD", "/d", "1", "/f")
	reg(t, "add", internetSettings, "/v", "ProxyServer", "/t", "REG_SZ", "/d", "http=127.0.0.1:9;https="+proxy.Addr, "/f")
	reg(t, "add", internetSettings, "/v", "ProxyOverride", "/t", "REG_SZ", "/d", "*.intranet;*.test;<local>", "/f")
	if _, errOut, err := softtoken(t, svc, answers, "enrol", url, "trader"); err == nil || !strings.Contains(errOut, "cannot reach the enrolment server "+enrolHost) {
		t.Errorf("with %s in ProxyOverride: %v\n%s", enrolHost, err, errOut)
	}
	if log := proxy.AccessLog(); strings.Contains(log, enrolHost) {
		t.Errorf("an exempt host went through the proxy:\n%s", log)
	}

	// Through the proxy.
	reg(t, "add", internetSettings, "/v", "ProxyOverride", "/t", "REG_SZ", "/d", "*.intranet;<local>", "/f")
	out, errOut, err := softtoken(t, svc, answers, "enrol", url, "trader")
	if err != nil || !strings.Contains(out, "Enrolled: slot 1, trader ("+enrolHost+")") {
		t.Fatalf("enrol through the Internet Settings' proxy: %v\n%s%s\n%s", err, out, errOut, proxy.CacheLog())
	}
	if hostPort := strings.TrimSuffix(strings.TrimPrefix(url, "https://"), "/secenrol/"); !proxy.WaitLog("CONNECT " + hostPort) {
		t.Errorf("squid's access log does not show CONNECT %s:\n%s", hostPort, proxy.AccessLog())
	}
	// The token stored in Wine's Credential Manager works: its next code
	// (the confirmation used this period's) is accepted.
	next := strings.TrimSpace(must(t, svc, "", "code", "--next", "trader"))
	if got := srv.Verify("trader", "trader-pass", next); got != "OK" {
		t.Errorf("the enrolled token's next code %s: the server says %s", next, got)
	}
	must(t, svc, "", "delete", "--yes", "1")

	// An automatic configuration script (AutoConfigURL) served here is
	// fetched and run: it sends the enrol host to a proxy that does not
	// answer, then to squid; it wins over the manual proxy, here one
	// that does not answer either.
	pac := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`function FindProxyForURL(url, host) {
			if (dnsDomainIs(host, ".test") && shExpMatch(url, "https://*")) { return "PROXY 127.0.0.1:9; PROXY ` + proxy.Addr + `"; }
			return "DIRECT";
		}`))
	}))
	defer pac.Close()
	reg(t, "add", internetSettings, "/v", "ProxyServer", "/t", "REG_SZ", "/d", "127.0.0.1:9", "/f")
	reg(t, "add", internetSettings, "/v", "AutoConfigURL", "/t", "REG_SZ", "/d", pac.URL+"/proxy.pac", "/f")
	pacInitial := srv.AddUser("pactrader", "pac-pass")
	out, errOut, err = softtoken(t, svc, "pac-pass\n"+pacInitial+"\n3\nVolvo\n5\nRex\n", "enrol", url, "pactrader")
	if err != nil || !strings.Contains(out, "pactrader ("+enrolHost+")") {
		t.Fatalf("enrol through the PAC script's proxy: %v\n%s%s\n%s", err, out, errOut, proxy.CacheLog())
	}
	must(t, svc, "", "delete", "--yes", "pactrader")
}

// behindProxy starts the real server (on a clock that follows the real
// one) behind TLS under enrolHost, with a test CA in the system's store,
// and a squid made with o that alone resolves enrolHost; it returns the
// server, the proxy and the enrol URL. The CA goes into the system's
// store, so the test must run as root.
func behindProxy(t *testing.T, o squidtest.Options) (*servertest.Server, *squidtest.Proxy, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the test puts a test CA in the system's certificate store, which Wine trusts: run it as root")
	}
	srv := servertest.New(t)
	followRealClock(t, srv.Clock)
	front := squidtest.StartTLSFront(t, srv.Addr, enrolHost)
	trustCA(t, front.CAPEM)
	o.Hosts = append(o.Hosts, "127.0.0.1 "+enrolHost)
	proxy := squidtest.Start(t, o)
	return srv, proxy, "https://" + enrolHost + ":" + strconv.Itoa(front.Port) + "/secenrol/"
}

// followRealClock keeps the test server's clock on the real time, which
// the Windows binary uses, until the test ends.
func followRealClock(t *testing.T, c *servertest.Clock) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	t.Cleanup(func() { close(done); <-stopped })
	sync := func() { c.Advance(time.Now().Truncate(time.Second).Sub(c.Now())) }
	sync()
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
				sync()
			}
		}
	}()
}

// trustCA puts a test CA in the system's certificate store, which Wine's
// trusts, and takes it out again when the test ends (failed or not;
// `make test-windows` also removes any left by a killed run).
func trustCA(t *testing.T, pem []byte) {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	path := "/usr/local/share/ca-certificates/softtoken-wintest-" + hex.EncodeToString(b) + ".crt"
	if err := os.WriteFile(path, pem, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Remove(path)
		if out, err := exec.Command("update-ca-certificates", "--fresh").CombinedOutput(); err != nil {
			t.Errorf("update-ca-certificates --fresh: %v\n%s", err, out)
		}
	})
	if out, err := exec.Command("update-ca-certificates").CombinedOutput(); err != nil {
		t.Fatalf("update-ca-certificates: %v\n%s", err, out)
	}
}
