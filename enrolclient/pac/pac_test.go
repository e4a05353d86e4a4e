package pac

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testEnv is a PC with a fixed name table, address and clock: Monday
// 7 December 2026, 15:30:10 GMT.
func testEnv() Env {
	names := map[string]string{"intranet.bank.example": "10.20.30.40", "wpad.bank.example": "10.0.0.5", "v6.bank.example": "2001:db8::1"}
	return Env{
		LookupIP: func(_ context.Context, host string) ([]net.IP, error) {
			if ip, ok := names[host]; ok {
				return []net.IP{net.ParseIP(ip)}, nil
			}
			return nil, errors.New("no such host")
		},
		MyIP: func() string { return "10.1.2.3" },
		Now:  func() time.Time { return time.Date(2026, 12, 7, 15, 30, 10, 0, time.UTC) },
	}
}

// eval runs expr inside FindProxyForURL for https://intranet.bank.example/
// and returns it as a string.
func eval(t *testing.T, expr string) string {
	t.Helper()
	s, err := Compile("function FindProxyForURL(url, host) { return String("+expr+"); }", testEnv())
	if err != nil {
		t.Fatalf("compile %s: %v", expr, err)
	}
	out, err := s.FindProxy(context.Background(), &url.URL{Scheme: "https", Host: "intranet.bank.example", Path: "/secenrol/"})
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return out
}

// The standard PAC functions, each with cases that must be true and
// false.
func TestFunctions(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{`url + " " + host`, "https://intranet.bank.example/ intranet.bank.example"},
		{`isPlainHostName("www")`, "true"},
		{`isPlainHostName("www.bank.example")`, "false"},
		{`dnsDomainIs("www.Bank.example", ".bank.example")`, "true"},
		{`dnsDomainIs("www.bank.example", ".other.example")`, "false"},
		{`dnsDomainIs("bank", "bank.example")`, "false"},
		{`localHostOrDomainIs("www", "www.bank.example")`, "true"},
		{`localHostOrDomainIs("www.bank.example", "www.bank.example")`, "true"},
		{`localHostOrDomainIs("www.other.example", "www.bank.example")`, "false"},
		{`localHostOrDomainIs("home", "www.bank.example")`, "false"},
		{`isResolvable("intranet.bank.example")`, "true"},
		{`isResolvable("nowhere.example")`, "false"},
		{`dnsResolve("wpad.bank.example")`, "10.0.0.5"},
		{`dnsResolve("nowhere.example")`, "null"},
		{`dnsResolve("192.0.2.7")`, "192.0.2.7"},
		{`isInNet(host, "10.20.0.0", "255.255.0.0")`, "true"},
		{`isInNet("10.21.1.1", "10.20.0.0", "255.255.0.0")`, "false"},
		{`isInNet("nowhere.example", "0.0.0.0", "0.0.0.0")`, "false"},
		{`isInNet("v6.bank.example", "0.0.0.0", "0.0.0.0")`, "false"},
		{`isInNet(myIpAddress(), "10.1.0.0", "255.255.0.0")`, "true"},
		{`myIpAddress()`, "10.1.2.3"},
		{`dnsDomainLevels("www.bank.example")`, "2"},
		{`dnsDomainLevels("www")`, "0"},
		{`shExpMatch("http://www.bank.example/a/b", "*/a/*")`, "true"},
		{`shExpMatch("www.bank.example", "*.bank.?xample")`, "true"},
		{`shExpMatch("www.bank.example", "*.bank.com")`, "false"},
		{`shExpMatch("a.b", "a?b")`, "true"},
		{`shExpMatch("a+b", "a.b")`, "false"},
		{`shExpMatch("` + strings.Repeat("a", 200) + `", "` + strings.Repeat("*a", 50) + `b")`, "false"},
		{`convert_addr("10.20.30.40")`, "169090600"},
		{`convert_addr("255.255.255.255")`, "-1"},
		{`weekdayRange("MON", "FRI", "GMT")`, "true"},
		{`weekdayRange("SAT", "SUN", "GMT")`, "false"},
		{`weekdayRange("FRI", "MON", "GMT")`, "true"},
		{`weekdayRange("MON", "GMT")`, "true"},
		{`weekdayRange("XYZ", "GMT")`, "false"},
		{`timeRange(15, "GMT")`, "true"},
		{`timeRange(9, 17, "GMT")`, "true"},
		{`timeRange(16, 17, "GMT")`, "false"},
		{`timeRange(22, 16, "GMT")`, "true"},
		{`timeRange(15, 0, 15, 30, "GMT")`, "true"},
		{`timeRange(15, 31, 16, 0, "GMT")`, "false"},
		{`timeRange(15, 30, 0, 15, 30, 9, "GMT")`, "false"},
		{`dateRange(7, "GMT")`, "true"},
		{`dateRange(1, 6, "GMT")`, "false"},
		{`dateRange("DEC", "GMT")`, "true"},
		{`dateRange("NOV", "JAN", "GMT")`, "true"},
		{`dateRange(2026, "GMT")`, "true"},
		{`dateRange(2020, 2025, "GMT")`, "false"},
		{`dateRange(1, "DEC", 31, "DEC", "GMT")`, "true"},
		{`dateRange(8, "DEC", 31, "DEC", "GMT")`, "false"},
		{`dateRange("NOV", 2026, "JAN", 2027, "GMT")`, "true"},
		{`dateRange(7, "DEC", 2026, "GMT")`, "true"},
		{`alert("hello")`, "undefined"},
	} {
		if got := eval(t, tc.expr); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
		}
	}
}

// Scripts that cannot give an answer fail with ErrScript and say why;
// an endless loop is interrupted.
func TestScriptFailures(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"function FindProxyForURL(url, host) {", "SyntaxError"},
		{"var x = 1;", "it has no function FindProxyForURL"},
		{"function FindProxyForURL(url, host) { return nosuch(host); }", "nosuch is not defined"},
		{"function FindProxyForURL(url, host) { for (;;) {} }", "it ran longer than"},
		{"throw new Error('at load');", "at load"},
		{"function FindProxyForURL(url, host) { return new Array(5000).join('x'); }", "bytes long"},
	} {
		s, err := Compile(tc.src, testEnv())
		if err == nil {
			_, err = s.FindProxy(context.Background(), &url.URL{Scheme: "https", Host: "a.example"})
		}
		if !errors.Is(err, ErrScript) && !errors.Is(err, ErrResult) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.src, err, tc.want)
		}
	}
	if _, err := Compile(strings.Repeat(" ", MaxScriptBytes+1), testEnv()); !errors.Is(err, ErrScript) {
		t.Errorf("a script over the size limit: %v", err)
	}
}

// A cancelled context ends a run at once.
func TestCancelled(t *testing.T) {
	s, err := Compile("function FindProxyForURL(url, host) { for (;;) {} }", testEnv())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	if _, err := s.FindProxy(ctx, &url.URL{Scheme: "https", Host: "a.example"}); !errors.Is(err, ErrScript) {
		t.Errorf("got %v", err)
	}
	if d := time.Since(start); d > RunTimeout/2 {
		t.Errorf("the cancelled run took %s", d)
	}
}

// Fetch reads http:// and file:// scripts, and names what went wrong
// otherwise, without the URL's password.
func TestFetch(t *testing.T) {
	const script = "function FindProxyForURL(u, h) { return 'DIRECT'; }"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/proxy.pac":
			_, _ = w.Write([]byte(script))
		case "/big.pac":
			_, _ = w.Write(make([]byte, MaxScriptBytes+1))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "proxy.pac")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ url, want, err string }{
		{srv.URL + "/proxy.pac", script, ""},
		{"file://" + file, script, ""},
		{srv.URL + "/missing.pac", "", "404 Not Found"},
		{srv.URL + "/big.pac", "", "larger than"},
		{"file://" + file + ".missing", "", "no such file"},
		{"ftp://wpad/proxy.pac", "", "not supported"},
		{"wpad.dat", "", "is not a URL"},
		{"http://user:secret@127.0.0.1:1/proxy.pac", "", "http://127.0.0.1:1/proxy.pac"},
	} {
		got, err := Fetch(context.Background(), tc.url)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%s: got %q, %v", tc.url, got, err)
		case tc.err != "" && (!errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "secret")):
			t.Errorf("%s: got %v, want an error with %q", tc.url, err, tc.err)
		}
	}
}

// Windows' file URLs: a drive, a share.
func TestFilePath(t *testing.T) {
	for _, tc := range []struct{ url, goos, want string }{
		{"file:///etc/proxy.pac", "linux", "/etc/proxy.pac"},
		{"file:///C:/bank/proxy.pac", "windows", `C:\bank\proxy.pac`},
		{"file://localhost/C:/proxy.pac", "windows", `C:\proxy.pac`},
		{"file://fileserver/share/proxy.pac", "windows", `\\fileserver\share\proxy.pac`},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := filePath(u, tc.goos); got != tc.want {
			t.Errorf("%s on %s: %s, want %s", tc.url, tc.goos, got, tc.want)
		}
	}
}
