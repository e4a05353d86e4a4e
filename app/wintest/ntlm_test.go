//go:build wine

package wintest

import (
	"strings"
	"testing"

	"github.com/softtoken/softtoken/internal/squidtest"
)

// `softtoken enrol` under Wine through a proxy that asks for NTLM
// (squid's ntlm_fake_auth): with a user and password in HTTPS_PROXY the
// .exe makes NTLMv2's messages itself and enrols; with only the Internet
// Settings' proxy it asks Windows' SSPI for the logged-on user's, which
// Wine does not have (no NTLM package), and says so instead of stopping
// or hanging. Before, the SSPI code's own start-up check made the .exe
// panic before main under Wine, whatever it was asked to do.
func TestEnrolThroughNTLMProxy(t *testing.T) {
	srv, proxy, url := behindProxy(t, squidtest.Options{NTLM: true})
	initial := srv.AddUser("ntlmtrader", "ntlm-pass")
	answers := "ntlm-pass\n" + initial + "\n3\nVolvo\n5\nRex\n"
	svc := service(t)
	t.Cleanup(func() {
		regTry(t, "delete", internetSettings, "/v", "ProxyServer", "/f")
		reg(t, "add", internetSettings, "/v", "ProxyEnable", "/t", "REG_DWORD", "/d", "0", "/f")
	})

	// The Internet Settings' proxy, no user: the logged-on user's
	// identity, which Wine's SSPI cannot give.
	reg(t, "add", internetSettings, "/v", "ProxyEnable", "/t", "REG_DWORD", "/d", "1", "/f")
	reg(t, "add", internetSettings, "/v", "ProxyServer", "/t", "REG_SZ", "/d", proxy.Addr, "/f")
	_, errOut, err := softtoken(t, svc, answers, "enrol", url, "ntlmtrader")
	if err == nil || !strings.Contains(errOut, "offers no NTLM sign-in") {
		t.Errorf("through an NTLM proxy with Wine's SSPI: %v\n%s", err, errOut)
	}

	// A user and password in HTTPS_PROXY (which wins over the Internet
	// Settings): NTLMv2 made by the .exe.
	t.Setenv("HTTPS_PROXY", "http://BANK%5Cjdoe:proxy-pass@"+proxy.Addr)
	out, errOut, err := softtoken(t, svc, answers, "enrol", url, "ntlmtrader")
	if err != nil || !strings.Contains(out, "ntlmtrader ("+enrolHost+")") {
		t.Fatalf("enrol through the NTLM proxy with a user: %v\n%s%s\n%s", err, out, errOut, proxy.CacheLog())
	}
	if !proxy.WaitLog("jdoe") {
		t.Errorf("squid's access log does not name the NTLM user:\n%s", proxy.AccessLog())
	}
	must(t, svc, "", "delete", "--yes", "ntlmtrader")
}
