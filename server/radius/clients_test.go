package radius_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/radius"
)

const s16 = "0123456789abcdef"

// The clients file: addresses and prefixes, names of several words,
// comments; a malformed line is refused by its number, never showing the
// secret.
func TestParseClients(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string // want: an error's words, or "" for none
	}{
		{"address and prefix", "# VPNs\n\n192.0.2.10 " + s16 + " vpn one\n10.0.0.0/8 " + s16 + "x firewalls\n", ""},
		{"IPv6", "2001:db8::/32 " + s16 + " v6\n", ""},
		{"too few fields", "192.0.2.10 " + s16 + "\n", "line 1"},
		{"bad address", "# c\n192.0.2.300 " + s16 + " vpn\n", "line 2"},
		{"bad prefix", "10.0.0.0/33 " + s16 + " vpn\n", "line 1"},
		{"short secret", "192.0.2.10 short vpn\n", "shorter than 16"},
		{"fields swapped", s16 + " 192.0.2.10 vpn\n", "line 1"},
		{"same name twice", "192.0.2.10 " + s16 + " vpn\n192.0.2.11 " + s16 + " vpn\n", "line 2"},
		{"empty", "# nothing\n", "no clients"},
		{"same address twice", "192.0.2.10 " + s16 + " vpn\n192.0.2.10/32 " + s16 + "x other\n", "line 2"},
		{"same prefix, once IPv4-mapped", "10.0.0.0/8 " + s16 + " vpn\n::ffff:10.0.0.0/104 " + s16 + "x other\n", "line 2"},
		{"zoned address", "fe80::1%eth0 " + s16 + " vpn\n", "line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := radius.ParseClients(strings.NewReader(tc.text))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("%v, want %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), s16):
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

// The file is refused when its group or others may read it.
func TestLoadClientsMode(t *testing.T) {
	for mode, ok := range map[os.FileMode]bool{0o600: true, 0o400: true, 0o640: false, 0o604: false} {
		path := filepath.Join(t.TempDir(), "clients")
		if err := os.WriteFile(path, []byte("127.0.0.1 "+s16+" vpn\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := radius.LoadClients(path)
		if (err == nil) != ok {
			t.Errorf("mode %04o: %v, want accepted %v", mode, err, ok)
		}
	}
}

// A request is the client's whose prefix holds its address, the longest.
func TestClientsFind(t *testing.T) {
	cs := mustClients(t, "10.0.0.0/8 "+s16+" wide\n10.1.0.0/16 "+s16+" narrow\n")
	for addr, want := range map[string]string{"10.1.2.3": "narrow", "10.2.0.1": "wide", "::ffff:10.1.0.1": "narrow", "192.0.2.1": ""} {
		if got := cs.Name(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}
