package enrolclient_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/internal/squidtest"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// enrolHost resolves through the test proxy only.
const enrolHost = "enrol.test"

// proxied is a server behind a TLS front, reached as https://enrol.test:PORT,
// a name this PC's resolver does not know.
func proxied(t *testing.T) (*servertest.Server, string, *x509.CertPool) {
	t.Helper()
	if addrs, err := net.LookupHost(enrolHost); err == nil {
		t.Fatalf("%s resolves on this PC (%v): the test could not tell a proxied request from a direct one", enrolHost, addrs)
	}
	s := servertest.New(t)
	f := squidtest.StartTLSFront(t, s.Addr, enrolHost)
	return s, "https://" + enrolHost + ":" + strconv.Itoa(f.Port) + "/secenrol/", f.Pool
}

func setProxy(t *testing.T, proxy string) {
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"} {
		t.Setenv(k, "")
	}
	t.Setenv("HTTPS_PROXY", proxy)
	t.Setenv("HTTP_PROXY", proxy)
}

// An enrolment through a real proxy (squid) that alone knows the enrol
// host's name, set up as a PC would be: HTTPS_PROXY; and NO_PROXY bypasses it.
func TestEnrolThroughSquid(t *testing.T) {
	s, url, pool := proxied(t)
	p := squidtest.Start(t, squidtest.Options{Hosts: []string{"127.0.0.1 " + enrolHost}})
	initial := s.AddUser("trader", "trader-pass")
	params := enrolclient.Params{URL: url, UserID: "trader", Password: "trader-pass", Passcode: initial, Answer: answer}
	client := func() *enrolclient.Client {
		return &enrolclient.Client{Store: memStore(t), TLS: &tls.Config{RootCAs: pool}, Now: s.Clock.Now, StepTimeout: 10 * time.Second}
	}

	setProxy(t, p.URL)
	t.Setenv("NO_PROXY", enrolHost)
	if _, err := client().Enrol(context.Background(), params); enrolclient.KindOf(err) != enrolclient.KindUnreachable {
		t.Errorf("with NO_PROXY=%s: got %v (kind %d), want the server unreachable", enrolHost, err, enrolclient.KindOf(err))
	}

	setProxy(t, p.URL)
	res, err := client().Enrol(context.Background(), params)
	if err != nil {
		t.Fatalf("enrol through squid: %v\n%s", err, p.CacheLog())
	}
	s.Clock.Advance(30 * time.Second) // the confirmation used this step's code
	if res.Entry.Token.Account != "trader" || s.Verify("trader", "trader-pass", codeOf(t, res.Entry, s.Clock.Now())) != wire.ResultOK {
		t.Errorf("the token enrolled through the proxy does not work: %+v", res.Entry.Token)
	}
	if hostPort := enrolHost + ":" + url[len("https://"+enrolHost+":"):strings.LastIndex(url, "/secenrol/")]; !p.WaitLog("CONNECT " + hostPort) {
		t.Errorf("squid's access log does not show CONNECT %s:\n%s", hostPort, p.AccessLog())
	}
}

// Proxy authentication: none or wrong credentials are told as the proxy's
// refusal, naming the proxy and never the password; the right ones work.
func TestEnrolThroughSquidWithAuthentication(t *testing.T) {
	s, url, pool := proxied(t)
	p := squidtest.Start(t, squidtest.Options{Hosts: []string{"127.0.0.1 " + enrolHost}, Users: map[string]string{"jdoe": "proxy-pass"}})
	initial := s.AddUser("trader", "trader-pass")
	params := enrolclient.Params{URL: url, UserID: "trader", Password: "trader-pass", Passcode: initial, Answer: answer}
	client := &enrolclient.Client{Store: memStore(t), TLS: &tls.Config{RootCAs: pool}, Now: s.Clock.Now, StepTimeout: 10 * time.Second}
	for _, tc := range []struct{ proxy, want string }{
		{p.URL, "the proxy " + p.Addr + " asks for a user name and password (407 Proxy Authentication Required)"},
		{p.WithUser("jdoe", "wrong-secret"), "the proxy " + p.Addr + " refused the user name or password of user jdoe (407 Proxy Authentication Required)"},
	} {
		setProxy(t, tc.proxy)
		_, err := client.Enrol(context.Background(), params)
		if enrolclient.KindOf(err) != enrolclient.KindProxy || err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("through %s: got %v (kind %d), want %q", tc.proxy, err, enrolclient.KindOf(err), tc.want)
		}
		// The window words it in its own language from the proxy's name
		// and answer.
		var ee *enrolclient.Error
		if !errors.As(err, &ee) || ee.Proxy != p.Addr || ee.ProxyAnswer != "407 Proxy Authentication Required" {
			t.Errorf("through %s: the error names the proxy %+v", tc.proxy, ee)
		}
	}
	setProxy(t, p.WithUser("jdoe", "proxy-pass"))
	if _, err := client.Enrol(context.Background(), params); err != nil {
		t.Fatalf("with the right proxy password: %v\n%s", err, p.CacheLog())
	}
	if !p.WaitLog(" jdoe ") {
		t.Errorf("squid's access log does not show user jdoe:\n%s", p.AccessLog())
	}
}

// A proxy that does not run is told as such, not as the server being away.
func TestEnrolThroughDeadProxy(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(squidtest.FreePort(t))
	setProxy(t, "http://jdoe:proxy-secret@"+addr)
	_, err := (&enrolclient.Client{Store: memStore(t), StepTimeout: 5 * time.Second}).Enrol(context.Background(),
		enrolclient.Params{URL: "https://" + enrolHost + "/secenrol/", UserID: "u", Password: "p", Passcode: "123456"})
	want := "the proxy " + addr + " does not answer: check this PC's proxy setting (HTTPS_PROXY), or ask your administrator"
	if enrolclient.KindOf(err) != enrolclient.KindProxy || err == nil || err.Error() != want {
		t.Errorf("got %v (kind %d), want %q", err, enrolclient.KindOf(err), want)
	}
	if ee := (*enrolclient.Error)(nil); !errors.As(err, &ee) || ee.Proxy != addr || ee.ProxyAnswer != "" {
		t.Errorf("the error names the proxy %+v, want %s and no answer", ee, addr)
	}
}
