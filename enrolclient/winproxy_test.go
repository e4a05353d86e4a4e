package enrolclient_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/enrolclient"
)

// The Internet Settings values Windows users have, and the proxy each
// gives a request.
func TestInternetSettingsProxy(t *testing.T) {
	const enrol = "https://enrol.bank.example/secenrol/"
	for _, tc := range []struct {
		name     string
		s        enrolclient.InternetSettings
		target   string
		want     string // the proxy URL, "" for none
		wantErr  string
		override string
	}{
		{name: "off", s: enrolclient.InternetSettings{Enable: false, Server: "proxy:8080"}, target: enrol},
		{name: "on, no server", s: enrolclient.InternetSettings{Enable: true}, target: enrol},
		{name: "one for all", s: enrolclient.InternetSettings{Enable: true, Server: "proxy.bank.example:8080"}, target: enrol, want: "http://proxy.bank.example:8080"},
		{name: "one for all, http URL", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080"}, target: "http://enrol.bank.example/", want: "http://proxy:8080"},
		{name: "no port is 80", s: enrolclient.InternetSettings{Enable: true, Server: "proxy"}, target: enrol, want: "http://proxy:80"},
		{name: "with scheme", s: enrolclient.InternetSettings{Enable: true, Server: "http://proxy:3128"}, target: enrol, want: "http://proxy:3128"},
		{name: "IPv4", s: enrolclient.InternetSettings{Enable: true, Server: "10.1.2.3:3128"}, target: enrol, want: "http://10.1.2.3:3128"},
		{name: "IPv6", s: enrolclient.InternetSettings{Enable: true, Server: "[fd00::1]:3128"}, target: enrol, want: "http://[fd00::1]:3128"},
		{name: "per protocol", s: enrolclient.InternetSettings{Enable: true, Server: "http=web:80;https=secure:8443;ftp=ftp:21"}, target: enrol, want: "http://secure:8443"},
		{name: "per protocol, http", s: enrolclient.InternetSettings{Enable: true, Server: "http=web:80;https=secure:8443"}, target: "http://enrol.bank.example/", want: "http://web:80"},
		{name: "per protocol, upper case and spaces", s: enrolclient.InternetSettings{Enable: true, Server: " HTTP=web:80 ; HTTPS=secure:8443 "}, target: enrol, want: "http://secure:8443"},
		{name: "per protocol without https goes direct", s: enrolclient.InternetSettings{Enable: true, Server: "http=web:80;ftp=ftp:21"}, target: enrol},
		{name: "https entry with scheme", s: enrolclient.InternetSettings{Enable: true, Server: "https=http://secure:8443"}, target: enrol, want: "http://secure:8443"},
		{name: "socks only", s: enrolclient.InternetSettings{Enable: true, Server: "socks=socks.bank.example:1080"}, target: enrol, wantErr: "SOCKS proxy (socks.bank.example:1080)"},
		{name: "socks and https", s: enrolclient.InternetSettings{Enable: true, Server: "socks=s:1080;https=secure:8443"}, target: enrol, want: "http://secure:8443"},
		{name: "bad port", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:80a"}, target: enrol, wantErr: `proxy address "proxy:80a"`},
		{name: "path", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:80/x"}, target: enrol, wantErr: "not host:port"},
		{name: "no host", s: enrolclient.InternetSettings{Enable: true, Server: "https=:8080"}, target: enrol, wantErr: "not host:port"},
		{name: "localhost never", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080"}, target: "http://localhost:8443/secenrol/"},
		{name: "loopback never", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080"}, target: "http://127.0.0.1:8443/secenrol/"},
		{name: "IPv6 loopback never", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080"}, target: "http://[::1]:8443/secenrol/"},
		{name: "<local>: a name without a dot", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "<local>"}, target: "https://secureauth/secenrol/"},
		{name: "<local>: a name with a dot", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "<local>"}, target: enrol, want: "http://proxy:8080"},
		{name: "wildcard domain", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "*.intranet;*.bank.example;<local>"}, target: enrol},
		{name: "wildcard domain, other host", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "*.intranet;<local>"}, target: enrol, want: "http://proxy:8080"},
		{name: "wildcard does not match the bare domain", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "*.enrol.bank.example"}, target: enrol, want: "http://proxy:8080"},
		{name: "exact name, any case", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "ENROL.bank.example"}, target: enrol},
		{name: "address prefix", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "10.*;192.168.*"}, target: "https://10.20.30.40/secenrol/"},
		{name: "address prefix, other address", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "10.*"}, target: "https://110.20.30.40/secenrol/", want: "http://proxy:8080"},
		{name: "wildcard inside", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "enrol*.example"}, target: enrol},
		{name: "rule with port, same", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "*.bank.example:443"}, target: enrol},
		{name: "rule with port, other", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "*.bank.example:8443"}, target: enrol, want: "http://proxy:8080"},
		{name: "rule with scheme, same", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "https://*.bank.example"}, target: enrol},
		{name: "rule with scheme, other", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "http://*.bank.example"}, target: enrol, want: "http://proxy:8080"},
		{name: "everything", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "*"}, target: enrol},
		{name: "empty rules", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: ";; ;"}, target: enrol, want: "http://proxy:8080"},
		{name: "IPv6 rule", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "[fd00::5]"}, target: "https://[fd00::5]/secenrol/"},
		{name: "trailing dot", s: enrolclient.InternetSettings{Enable: true, Server: "proxy:8080", Override: "enrol.bank.example"}, target: "https://enrol.bank.example./secenrol/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			p, err := tc.s.ProxyFunc()(u)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("proxy for %s under %+v: %v, %v; want an error with %q", tc.target, tc.s, p, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("proxy for %s under %+v: %v", tc.target, tc.s, err)
			}
			got := ""
			if p != nil {
				got = p.String()
			}
			if got != tc.want {
				t.Errorf("proxy for %s under %+v = %q, want %q", tc.target, tc.s, got, tc.want)
			}
		})
	}
}

// On Linux there are no Internet Settings: SystemProxy is the
// environment's.
// A password in ProxyServer never reaches an error, which the Add dialog
// shows and a trader may paste into a support ticket.
func TestInternetSettingsErrorsHideThePassword(t *testing.T) {
	for _, server := range []string{
		"user:s3cret@proxy:80x",
		"http://user:s3cret@proxy:3128/path",
		"https=http://user:s3cret@proxy:3128/x",
		"socks=user:s3cret@proxy:1080",
		"http://user:s3cret@proxy:3128?q",
		"http://us@r:s3cret@proxy:3128#f",
	} {
		s := enrolclient.InternetSettings{Enable: true, Server: server}
		_, err := s.ProxyFunc()(&url.URL{Scheme: "https", Host: "enrol.bank.example"})
		if err == nil {
			t.Errorf("ProxyServer %q: no error", server)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ProxyServer %q: the error shows the password: %v", server, err)
		}
	}
}

func TestSystemProxyOutsideWindows(t *testing.T) {
	u, _ := url.Parse("https://enrol.test/secenrol/")
	setProxy(t, "")
	if p, err := enrolclient.SystemProxy(u); p != nil || err != nil {
		t.Fatalf("no proxy variable: %v, %v", p, err)
	}
	t.Setenv("HTTPS_PROXY", "http://proxy.test:3128")
	if p, err := enrolclient.SystemProxy(u); err != nil || p == nil || p.Host != "proxy.test:3128" {
		t.Fatalf("HTTPS_PROXY: %v, %v", p, err)
	}
}

// leakMarker stands for a proxy's password in FuzzInternetSettings.
const leakMarker = "Pw7leakMarker9"

// Whatever the registry holds, a proxy is an http:// URL with a host, or
// an error; nothing panics, and a wildcard rule cannot make matching slow.
func FuzzInternetSettings(f *testing.F) {
	f.Add("http=web:80;https=secure:8443", "*.intranet;<local>", "enrol.bank.example")
	f.Add("proxy:8080", "10.*", "10.1.2.3")
	f.Add("socks=s:1080", "", "x")
	f.Add("[fd00::1]:3128", "[fd00::5]:443", "fd00::5")
	f.Add("https=http://u:p@secure:8443", "https://*:443", "a.b")
	f.Add("proxy", "****************************************a", strings.Repeat("b", 200))
	f.Fuzz(func(t *testing.T, server, override, host string) {
		s := enrolclient.InternetSettings{Enable: true, Server: server, Override: override}
		for _, scheme := range []string{"https", "http"} {
			u := &url.URL{Scheme: scheme, Host: host, Path: "/secenrol/"}
			p, err := s.ProxyFunc()(u)
			if err == nil && p != nil && (p.Scheme == "" || p.Hostname() == "" || p.Port() == "") {
				t.Fatalf("server %q override %q host %q: proxy %#v", server, override, host, p)
			}
			// The text after a proxy's last "@" is its address; what comes
			// before is a password an error must not show. The password
			// is replaced by a marker no quoting of the rest can make (a
			// fuzzed one may be "000\"", which a quoted "\x000" shows).
			if i := strings.LastIndex(server, "@"); i > 0 {
				start := strings.LastIndexAny(server[:i], ":;=/") + 1
				marked := enrolclient.InternetSettings{Enable: true, Server: server[:start] + leakMarker + server[i:], Override: override}
				if _, err := marked.ProxyFunc()(u); err != nil && strings.Contains(err.Error(), leakMarker) {
					t.Fatalf("server %q: the error shows the password: %v", marked.Server, err)
				}
			}
		}
	})
}
