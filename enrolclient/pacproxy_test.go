package enrolclient_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/enrolclient/pac"
	"github.com/softtoken/softtoken/internal/squidtest"
)

// pacServer serves scripts by path, as an intranet's WPAD server would.
func pacServer(t *testing.T, scripts map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := scripts[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/x-ns-proxy-autoconfig")
		_, _ = w.Write([]byte(s))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// An enrolment through the proxy a PAC script chose for the enrol host:
// a dead proxy first, then squid (the only one that can resolve the
// name), then DIRECT; named by ProxyPAC (--proxy-pac), the script wins
// over HTTPS_PROXY, and as Windows' AutoConfigURL over their manual
// proxy. The script's failures are told as such.
func TestEnrolThroughPAC(t *testing.T) {
	s, url, pool := proxied(t)
	p := squidtest.Start(t, squidtest.Options{Hosts: []string{"127.0.0.1 " + enrolHost}})
	dead := "127.0.0.1:" + strconv.Itoa(squidtest.FreePort(t))
	initial := s.AddUser("trader", "trader-pass")
	params := enrolclient.Params{URL: url, UserID: "trader", Password: "trader-pass", Passcode: initial, Answer: answer}
	base := pacServer(t, map[string]string{
		"/proxy.pac": `function FindProxyForURL(url, host) {
			if (isPlainHostName(host) || shExpMatch(host, "*.bank.example")) { return "DIRECT"; }
			if (dnsDomainIs(host, ".test") && !isResolvable(host)) { return "PROXY ` + dead + `; PROXY ` + p.Addr + `; DIRECT"; }
			return "DIRECT";
		}`,
		"/dead.pac":   `function FindProxyForURL(url, host) { return "PROXY ` + dead + `; DIRECT"; }`,
		"/socks.pac":  `function FindProxyForURL(url, host) { return "SOCKS5 ` + dead + `"; }`,
		"/broken.pac": `function FindProxyForURL(url, host) { return nosuch(host); }`,
	})
	setProxy(t, "http://"+dead) // a script named explicitly wins over HTTPS_PROXY
	client := func(script string) *enrolclient.Client {
		return &enrolclient.Client{Store: memStore(t), TLS: &tls.Config{RootCAs: pool}, Now: s.Clock.Now, StepTimeout: 10 * time.Second, ProxyPAC: base + script}
	}
	first := client("/proxy.pac")
	res, err := first.Enrol(context.Background(), params)
	if err != nil {
		t.Fatalf("enrol through the PAC script's proxy: %v\n%s", err, p.CacheLog())
	}
	if hostPort := enrolHost + ":" + url[len("https://"+enrolHost+":"):strings.LastIndex(url, "/secenrol/")]; !p.WaitLog("CONNECT " + hostPort) {
		t.Errorf("squid's access log does not show CONNECT %s:\n%s", hostPort, p.AccessLog())
	}

	// Windows' Internet Settings: their script (AutoConfigURL) wins over
	// their manual proxy, here one that does not answer.
	setProxy(t, "") // else HTTPS_PROXY would win over the Internet Settings
	enrolclient.SetInternetSettings(t, enrolclient.InternetSettings{Enable: true, Server: dead, AutoConfigURL: base + "/proxy.pac"})
	s.Clock.Advance(30 * time.Second)
	again := params
	again.Passcode = codeOf(t, res.Entry, s.Clock.Now())
	if _, err := (&enrolclient.Client{Store: first.Store, TLS: &tls.Config{RootCAs: pool}, Now: s.Clock.Now, StepTimeout: 10 * time.Second}).Enrol(context.Background(), again); err != nil {
		t.Fatalf("enrol through the Internet Settings' script: %v\n%s", err, p.CacheLog())
	}

	for _, tc := range []struct {
		script, want string
		is           error
	}{
		{"/missing.pac", "cannot fetch this PC's automatic proxy configuration script " + base + "/missing.pac (the server answered 404 Not Found): check your network connection", pac.ErrFetch},
		{"/broken.pac", "this PC's automatic proxy configuration script " + base + "/broken.pac does not work (ReferenceError: nosuch is not defined", pac.ErrScript},
		{"/socks.pac", "this PC's automatic proxy configuration script " + base + "/socks.pac chose no proxy softtoken can use (it chose only SOCKS5 " + dead + ", which softtoken does not support)", pac.ErrResult},
		{"/dead.pac", "cannot reach the enrolment server " + url[len("https://"):strings.LastIndex(url, "/secenrol/")] + " through any of the proxies that this PC's automatic proxy configuration script " + base + "/dead.pac chose (" + dead + ", DIRECT): none answers", nil},
	} {
		_, err := client(tc.script).Enrol(context.Background(), params)
		var ee *enrolclient.Error
		if !errors.As(err, &ee) || ee.Kind != enrolclient.KindProxy || !strings.HasPrefix(err.Error(), tc.want) || ee.ProxyScript != base+tc.script {
			t.Errorf("%s: got %v (%+v), want %q", tc.script, err, ee, tc.want)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v is not %v", tc.script, err, tc.is)
		}
	}
}

// A proxy that asks for NTLM (squid with ntlm_fake_auth) is passed with
// the user and password of the proxy URL, the user written DOMAIN%5Cuser;
// without them the message says how to give them.
func TestEnrolThroughSquidWithNTLM(t *testing.T) {
	s, url, pool := proxied(t)
	p := squidtest.Start(t, squidtest.Options{Hosts: []string{"127.0.0.1 " + enrolHost}, NTLM: true})
	initial := s.AddUser("trader", "trader-pass")
	params := enrolclient.Params{URL: url, UserID: "trader", Password: "trader-pass", Passcode: initial, Answer: answer}
	client := &enrolclient.Client{Store: memStore(t), TLS: &tls.Config{RootCAs: pool}, Now: s.Clock.Now, StepTimeout: 10 * time.Second}

	setProxy(t, p.URL)
	_, err := client.Enrol(context.Background(), params)
	want := "the proxy " + p.Addr + " asks for a user name and password (407 Proxy Authentication Required): put them in this PC's proxy setting as http://USER:PASSWORD@" + p.Addr + " (it asks for NTLM: write the user as DOMAIN%5Cuser)"
	if enrolclient.KindOf(err) != enrolclient.KindProxy || err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("without credentials: got %v (kind %d), want %q", err, enrolclient.KindOf(err), want)
	}

	setProxy(t, "http://BANK%5Cjdoe:proxy-secret@"+p.Addr)
	if _, err := client.Enrol(context.Background(), params); err != nil {
		t.Fatalf("with NTLM credentials: %v (%v)\n%s", err, errors.Unwrap(err), p.CacheLog())
	}
	if !p.WaitLog("jdoe") {
		t.Errorf("squid's access log does not show user jdoe:\n%s", p.AccessLog())
	}
	// The password went only into NTLM's answer: never in the clear as
	// Basic, which the proxy did not ask for (squid logs such a header).
	if log := p.AccessLog() + p.CacheLog(); strings.Contains(log, "proxy-secret") || strings.Contains(log, base64.StdEncoding.EncodeToString([]byte(`BANK\jdoe:proxy-secret`))) {
		t.Errorf("the password shows in squid's logs:\n%s", log)
	}
}
