//go:build wine

package wintest

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// Group Policy's keys in Wine's registry: the computer's wins, value by
// value, over the user's.
const (
	machinePolicy = `HKLM\SOFTWARE\Policies\softtoken`
	userPolicy    = `HKCU\SOFTWARE\Policies\softtoken`
)

// A policy in Wine's registry, as Group Policy writes it, shows in
// `softtoken settings` as coming from the policy: the computer's
// EnrolURL over the user's, the user's Language where the computer sets
// none, AutoType 0 turning the hotkeys off; a bad value (2 seconds) is
// named with its key and left out, and the command still answers.
func TestPolicyInRegistry(t *testing.T) {
	t.Cleanup(func() {
		regTry(t, "delete", machinePolicy, "/f")
		regTry(t, "delete", userPolicy, "/f")
	})
	svc := service(t)
	for _, v := range [][]string{
		{machinePolicy, "EnrolURL", "REG_SZ", "https://2fa.bank.example/secenrol/"},
		{userPolicy, "EnrolURL", "REG_SZ", "https://user.example/secenrol/"},
		{userPolicy, "Language", "REG_SZ", "it"},
		{machinePolicy, "AutoType", "REG_DWORD", "0"},
		{machinePolicy, "ClipboardClearSeconds", "REG_DWORD", "2"},
	} {
		reg(t, "add", v[0], "/v", v[1], "/t", v[2], "/d", v[3], "/f")
	}

	out, errOut, err := softtoken(t, svc, "", "settings")
	if err != nil {
		t.Fatalf("softtoken settings: %v\n%s%s", err, out, errOut)
	}
	for _, want := range []string{
		`(?m)^EnrolURL +https://2fa\.bank\.example/secenrol/ +policy\r?$`,
		`(?m)^Language +it +policy\r?$`,
		`(?m)^AutoType +off +policy\r?$`,
		`(?m)^Hotkeys +off +policy\r?$`,
		`(?m)^ClipboardClearSeconds +30 +default\r?$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("softtoken settings prints no line %s:\n%s", want, out)
		}
	}
	if want := `policy HKLM\SOFTWARE\Policies\softtoken: ClipboardClearSeconds: 2 is not from 5 to 600 seconds`; !strings.Contains(errOut, want) {
		t.Errorf("no warning %q:\n%s", want, errOut)
	}

	out, errOut, err = softtoken(t, svc, "", "settings", "--json")
	if err != nil {
		t.Fatalf("softtoken settings --json: %v\n%s%s", err, out, errOut)
	}
	var got map[string]struct {
		Value  any    `json:"value"`
		Source string `json:"source"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("softtoken settings --json: %v\n%s", err, out)
	}
	if u := got["EnrolURL"]; u.Value != "https://2fa.bank.example/secenrol/" || u.Source != "policy" {
		t.Errorf("EnrolURL in JSON: %+v", u)
	}

	// Without the policy, the same command tells the defaults.
	regTry(t, "delete", machinePolicy, "/f")
	regTry(t, "delete", userPolicy, "/f")
	if out := must(t, svc, "", "settings"); !regexp.MustCompile(`(?m)^EnrolURL +- +default\r?$`).MatchString(out) {
		t.Errorf("without a policy:\n%s", out)
	}
}
