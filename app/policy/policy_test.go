package policy_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/app/policy"
)

// TestParseFile: each policy's good values are taken (cleaned up); each
// bad or unknown one is named in a warning, with the file, and left out,
// and a file that is not JSON gives no policy and a warning saying where.
func TestParseFile(t *testing.T) {
	const path = "/etc/softtoken/policy.json"
	tests := []struct {
		name     string
		json     string
		want     string // the policy, as describe prints it
		warnings []string
	}{
		{"empty", `{}`, "url=- lang=- clip=- auto=-", nil},
		{"all", `{"EnrolURL": "2fa.bank.example", "Language": "IT", "ClipboardClearSeconds": 45, "AutoType": 0}`,
			"url=https://2fa.bank.example/secenrol/ lang=it clip=45 auto=false", nil},
		{"system language, autotype on", `{"Language": "", "AutoType": 1}`, "url=- lang= clip=- auto=true", nil},
		{"autotype as a boolean", `{"AutoType": false}`, "url=- lang=- clip=- auto=false", nil},
		{"empty URL is no policy", `{"EnrolURL": " "}`, "url=- lang=- clip=- auto=-", nil},
		{"bad values", `{"EnrolURL": "ftp://x", "Language": "fr", "ClipboardClearSeconds": 4, "AutoType": 2}`,
			"url=- lang=- clip=- auto=-", []string{
				`policy /etc/softtoken/policy.json: EnrolURL: "ftp://x" is not an enrol URL`,
				`Language: "fr" is not a language softtoken speaks`,
				"ClipboardClearSeconds: 4 is not from 5 to 600 seconds",
				"AutoType: 2 is neither 0 (off) nor 1"}},
		{"too long", `{"ClipboardClearSeconds": 601}`, "url=- lang=- clip=- auto=-", []string{"601 is not from 5 to 600"}},
		{"wrong types", `{"EnrolURL": 1, "ClipboardClearSeconds": "30", "Language": "en"}`, "url=- lang=en clip=- auto=-", []string{
			"ClipboardClearSeconds: \"30\" is not a whole number", "EnrolURL: 1 is not a string"}},
		{"unknown", `{"EnrollURL": "https://x.example/secenrol/", "ClipboardClearSeconds": 60}`, "url=- lang=- clip=60 auto=-", []string{
			"EnrollURL: is not a policy softtoken knows (it knows EnrolURL, Language, ClipboardClearSeconds, AutoType)"}},
		{"syntax", "{\n \"Language\": \"it\",\n}", "url=- lang=- clip=- auto=-", []string{
			"policy /etc/softtoken/policy.json: is not a JSON object of policies: line 3: invalid character '}'"}},
		{"not an object", `["it"]`, "url=- lang=- clip=- auto=-", []string{"is not a JSON object of policies"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, warns := policy.ParseFile(path, []byte(tc.json))
			if got := describe(p); got != tc.want {
				t.Errorf("policy %s, want %s", got, tc.want)
			}
			checkWarnings(t, warns, tc.warnings)
		})
	}
}

func checkWarnings(t *testing.T, warns []error, want []string) {
	t.Helper()
	var all []string
	for _, w := range warns {
		all = append(all, w.Error())
	}
	text := strings.Join(all, "\n")
	if len(warns) != len(want) {
		t.Errorf("%d warnings, want %d:\n%s", len(warns), len(want), text)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("no warning says %q:\n%s", w, text)
		}
	}
}

func describe(p policy.Policy) string {
	str := func(s *string) string {
		if s == nil {
			return "-"
		}
		return *s
	}
	var clip, auto = "-", "-"
	if p.ClipboardClearSeconds != nil {
		clip = strconv.Itoa(*p.ClipboardClearSeconds)
	}
	if p.AutoType != nil {
		auto = map[bool]string{true: "true", false: "false"}[*p.AutoType]
	}
	return "url=" + str(p.EnrolURL) + " lang=" + str(p.Language) + " clip=" + clip + " auto=" + auto
}

// TestReadFile: no file is no policy and no warning; an unreadable one
// is named; SOFTTOKEN_POLICY names the file Read reads.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	if p, warns := policy.ReadFile(filepath.Join(dir, "none.json")); describe(p) != "url=- lang=- clip=- auto=-" || len(warns) != 0 {
		t.Errorf("no file: %s, %v", describe(p), warns)
	}
	if _, warns := policy.ReadFile(dir); len(warns) != 1 || !strings.Contains(warns[0].Error(), "policy "+dir+": cannot be read") {
		t.Errorf("a folder: %v", warns)
	}
	file := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(file, []byte(`{"Language": "it"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(policy.FileEnv, file)
	if p, warns := policy.Read(); describe(p) != "url=- lang=it clip=- auto=-" || len(warns) != 0 {
		t.Errorf("Read with %s: %s, %v", policy.FileEnv, describe(p), warns)
	}
}
