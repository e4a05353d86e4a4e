package enrolclient

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/Azure/go-ntlmssp"
)

// squid's ntlm_fake_auth sends a 49-byte challenge whose target name lies
// beyond the message and that has no target info: tidied, go-ntlmssp
// answers it; a well-formed challenge is left as it is.
func TestTidyChallenge(t *testing.T) {
	fake, err := base64.StdEncoding.DecodeString("TlRMTVNTUAACAAAACQAJAK6qqqoBgoigulqRjx5ly7gAAAAAAAA6AFdPUktHUk9VUA==")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ntlmssp.NewAuthenticateMessage(fake, `BANK\jdoe`, "pw", nil); err == nil {
		t.Fatal("go-ntlmssp reads the fake challenge as it is: the test shows nothing")
	}
	tidy := tidyChallenge(fake)
	if _, err := ntlmssp.NewAuthenticateMessage(tidy, `BANK\jdoe`, "pw", nil); err != nil {
		t.Errorf("the tidied challenge: %v", err)
	}
	if !bytes.Equal(tidy[24:32], fake[24:32]) || !bytes.Equal(tidy[20:24], fake[20:24]) {
		t.Errorf("tidying changed the server's challenge or flags: % x", tidy)
	}
	// A well-formed challenge: the target name "BANK" at offset 48, no
	// target info.
	good := append([]byte(nil), tidy[:48]...)
	copy(good[12:], []byte{8, 0, 8, 0, 48, 0, 0, 0})
	good = append(good, 'B', 0, 'A', 0, 'N', 0, 'K', 0)
	if got := tidyChallenge(good); !bytes.Equal(got, good) {
		t.Errorf("a well-formed challenge was changed: % x", got)
	}
	for _, short := range [][]byte{nil, []byte("NTLMSSP\x00")} {
		if got := tidyChallenge(short); !bytes.Equal(got, short) {
			t.Errorf("%q was changed: %q", short, got)
		}
	}
}

func TestNTLMScheme(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   string
	}{
		{[]string{`Basic realm="x"`, "NTLM"}, "NTLM"},
		{[]string{"Negotiate", "NTLM"}, "NTLM"},
		{[]string{"Negotiate"}, "Negotiate"},
		{[]string{`Basic realm="x"`}, ""},
		{nil, ""},
	} {
		h := map[string][]string{"Proxy-Authenticate": tc.values}
		if got := ntlmScheme(h); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.values, got, tc.want)
		}
	}
}
