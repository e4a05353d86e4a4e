package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/app/cli"
	"github.com/softtoken/softtoken/app/policy"
)

// TestSettingsCommand: settings prints one line per setting with its
// value and source (the system's language as "system", no enrol URL as
// "-"), or the same as JSON; a policy's warnings go to standard error and
// the settings are still printed; a build without settings says so.
func TestSettingsCommand(t *testing.T) {
	url := "https://2fa.bank.example/secenrol/"
	s := policy.Resolve(policy.Policy{EnrolURL: &url}, policy.Values{"clipboardSeconds": 60.0}, "")
	warn := errors.New("policy /etc/softtoken/policy.json: Language: \"fr\" is not a language softtoken speaks")
	tests := []struct {
		name     string
		settings func() (policy.Settings, []error)
		args     []string
		want     []string
		stderr   string
		errHas   string
	}{
		{"table", func() (policy.Settings, []error) { return s, []error{warn} }, []string{"settings"}, []string{
			"SETTING                VALUE                               FROM\n",
			"EnrolURL               https://2fa.bank.example/secenrol/  policy\n",
			"Language               system                              default\n",
			"ClipboardClearSeconds  60                                  user\n",
			"AutoType               on                                  default\n"}, "softtoken: warning: " + warn.Error() + "\n", ""},
		{"no enrol URL", func() (policy.Settings, []error) {
			return policy.Resolve(policy.Policy{}, policy.Values{}, ""), nil
		}, []string{"settings"}, []string{"EnrolURL               -         default\n"}, "", ""},
		{"json", func() (policy.Settings, []error) { return s, nil }, []string{"settings", "--json"}, nil, "", ""},
		{"not in this build", nil, []string{"settings"}, nil, "", "settings: not available"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := cli.Run(context.Background(), cli.Env{Stdout: &out, Stderr: &errOut, Settings: tc.settings}, tc.args)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("got %v, want an error with %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("no line %q in:\n%s", w, out.String())
				}
			}
			if errOut.String() != tc.stderr {
				t.Errorf("stderr %q, want %q", errOut.String(), tc.stderr)
			}
			if tc.name == "json" {
				var got policy.Settings
				if err := json.Unmarshal(out.Bytes(), &got); err != nil || got != s {
					t.Errorf("JSON %s read back as %+v, %v; want %+v", out.String(), got, err, s)
				}
			}
		})
	}
}
