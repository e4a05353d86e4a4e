package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/app/cli"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
)

const (
	rfcB32   = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	aliceURI = "otpauth://totp/Bank:alice?secret=" + rfcB32 + "&digits=8"
	bobURI   = "otpauth://hotp/Broker:bob?secret=" + rfcB32 + "&counter=0"
)

// session runs commands in order against one in-memory store at a fixed time.
type session struct {
	t     *testing.T
	store *keyringstore.Store
	now   time.Time
}

func newSession(t *testing.T) *session {
	t.Helper()
	s, err := keyringstore.New(keyringstore.Config{Backend: &keyringstore.MemoryBackend{}, LockPath: filepath.Join(t.TempDir(), "lock")})
	if err != nil {
		t.Fatal(err)
	}
	return &session{t: t, store: s, now: time.Unix(1111111111, 0)}
}

func (s *session) run(stdin string, interactive bool, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	err = cli.Run(context.Background(), cli.Env{
		Store: s.store, Now: func() time.Time { return s.now },
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Interactive: interactive, Version: "1.2.3",
	}, args)
	return out.String(), errOut.String(), err
}

func TestCommands(t *testing.T) {
	s := newSession(t)
	steps := []struct {
		args    []string
		stdin   string
		want    string // in stdout, or in the error when errHas is set
		errHas  string
		isUsage bool
	}{
		{args: []string{"list"}, want: "No tokens yet"},
		{args: []string{"add", aliceURI}, want: "Added slot 1: alice (Bank)"},
		{args: []string{"add"}, stdin: bobURI + "\n", want: "Added slot 2: bob (Broker)"},
		{args: []string{"add", "-"}, stdin: aliceURI, errHas: "another token already has this name"},
		{args: []string{"add", "otpauth://totp/x?secret=" + rfcB32 + "&digits=7"}, errHas: `otpauth URI: digits: "7" is not supported`},
		{args: []string{"add", "https://example.com"}, errHas: "not an otpauth:// URI"},
		{args: []string{"add"}, errHas: "give an otpauth:// URI", isUsage: true},
		{args: []string{"list"}, want: "1     alice (Bank)  TOTP SHA1 8 digits 30 s\n"},
		{args: []string{"list"}, want: "2     bob (Broker)  HOTP SHA1 6 digits\n"},
		{args: []string{"code", "alice"}, want: "14050471\n"},     // RFC 6238 at 1111111111
		{args: []string{"code", "--next", "1"}, want: "\n"},       // checked below against NextCode
		{args: []string{"code", "--next", "bob"}, want: "755224"}, // peek: RFC 4226 count 0, not consumed
		{args: []string{"code", "bob"}, want: "755224"},           // consumed
		{args: []string{"code", "bob"}, want: "287082"},           // count 1
		{args: []string{"code"}, errHas: "there are 2 tokens"},
		{args: []string{"code", "carol"}, errHas: `no token is named "carol"`},
		{args: []string{"code", "alice", "--next"}, errHas: `unexpected argument "--next"`, isUsage: true},
		{args: []string{"code", "--soon"}, errHas: "flag provided but not defined", isUsage: true},
		{args: []string{"rename", "ALICE (bank)", "Alice at the bank"}, want: `Renamed "alice (Bank)" to "Alice at the bank"`},
		{args: []string{"rename", "bob", "Alice at the bank"}, errHas: "already has this name"},
		{args: []string{"rename", "bob"}, errHas: "missing argument", isUsage: true},
		{args: []string{"delete", "bob"}, errHas: "add --yes", isUsage: true},
		{args: []string{"delete", "--yes", "bob"}, want: `Deleted "bob (Broker)"`},
		{args: []string{"code"}, want: "14050471"}, // the only token left
		{args: []string{"version"}, want: "softtoken 1.2.3\n"},
		{args: []string{"help"}, want: "softtoken code [--next] [NAME]"},
		{args: []string{"frobnicate"}, errHas: `unknown command "frobnicate"`, isUsage: true},
	}
	for i, st := range steps {
		out, _, err := s.run(st.stdin, false, st.args...)
		name := fmt.Sprintf("step %d %v", i, st.args)
		if st.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), st.errHas) {
				t.Errorf("%s: got %v, want an error containing %q", name, err, st.errHas)
			}
			var ue *cli.UsageError
			if errors.As(err, &ue) != st.isUsage {
				t.Errorf("%s: usage error %v, want %v", name, errors.As(err, &ue), st.isUsage)
			}
			if strings.Contains(fmt.Sprint(err), rfcB32) {
				t.Errorf("%s: the error shows the secret", name)
			}
			continue
		}
		if err != nil || !strings.Contains(out, st.want) {
			t.Errorf("%s: got %q, %v; want output containing %q", name, out, err, st.want)
		}
		if strings.Join(st.args, " ") == "code --next 1" {
			entries, _ := s.store.List()
			want, _ := entries[0].Token.NextCode(s.now)
			if out != want+"\n" {
				t.Errorf("%s: got %q, want the next period's %s", name, out, want)
			}
		}
	}
}

func TestSeventhAddRefused(t *testing.T) {
	s := newSession(t)
	for i := 1; i <= token.MaxTokens; i++ {
		if _, _, err := s.run("", false, "add", fmt.Sprintf("otpauth://totp/user%d?secret=%s", i, rfcB32)); err != nil {
			t.Fatal(err)
		}
	}
	before, _, _ := s.run("", false, "list")
	_, _, err := s.run("", false, "add", "otpauth://totp/user7?secret="+rfcB32)
	if !errors.Is(err, token.ErrFull) {
		t.Fatalf("got %v, want ErrFull", err)
	}
	if after, _, _ := s.run("", false, "list"); after != before {
		t.Errorf("the refused add changed the list:\n%s\n%s", before, after)
	}
}

func TestDeleteAsks(t *testing.T) {
	tests := []struct {
		answer  string
		deleted bool
	}{{"y\n", true}, {"YES\n", true}, {"n\n", false}, {"\n", false}, {"", false}}
	for _, tc := range tests {
		s := newSession(t)
		if _, _, err := s.run("", false, "add", aliceURI); err != nil {
			t.Fatal(err)
		}
		out, prompt, err := s.run(tc.answer, true, "delete", "alice")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(prompt, "enrol again") {
			t.Errorf("the question does not warn about re-enrolment: %q", prompt)
		}
		entries, _ := s.store.List()
		if deleted := len(entries) == 0; deleted != tc.deleted {
			t.Errorf("answer %q: deleted %v (%q), want %v", tc.answer, deleted, out, tc.deleted)
		}
	}
}

func TestAddReadsSecretWithoutEcho(t *testing.T) {
	s := newSession(t)
	var out, errOut bytes.Buffer
	err := cli.Run(context.Background(), cli.Env{
		Store: s.store, Now: time.Now, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Interactive: true, ReadSecret: func() (string, error) { return aliceURI, nil },
	}, []string{"add"})
	if err != nil || !strings.Contains(out.String(), "Added slot 1") {
		t.Fatalf("got %q, %v", out.String(), err)
	}
	if !strings.Contains(errOut.String(), "it is not shown") || strings.Contains(errOut.String()+out.String(), rfcB32) {
		t.Errorf("prompt %q", errOut.String())
	}
}
