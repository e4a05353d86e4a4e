package cli_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/app/autotype"
	"github.com/softtoken/softtoken/app/cli"
	"github.com/softtoken/softtoken/token"
)

// keys is a Typer that keeps what it was asked to type.
type keys struct{ typed []string }

func (k *keys) Type(_ context.Context, text string, _ time.Duration) error {
	k.typed = append(k.typed, text)
	return nil
}

func (k *keys) Close() error { return nil }

// typeAt runs `softtoken type` with args at now, into k (nil: no typer).
func (s *session) typeAt(now time.Time, k *keys, args ...string) error {
	s.t.Helper()
	s.now = now
	env := cli.Env{Store: s.store, Now: func() time.Time { return s.now }, Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
	if k != nil {
		env.Typer = func() (autotype.Typer, error) { return k, nil }
	}
	return cli.Run(context.Background(), env, append([]string{"type"}, args...))
}

// type types the passcode a trader would read, but the next period's when
// fewer than 3 seconds are left; an HOTP token's next code, its counter
// moved on; Enter with --enter.
func TestTypeCommand(t *testing.T) {
	s := newSession(t)
	for _, uri := range []string{aliceURI, bobURI} {
		if _, _, err := s.run("", false, "add", uri); err != nil {
			t.Fatal(err)
		}
	}
	alice, _ := token.ParseURI(aliceURI)
	codeAt := func(at int64) string {
		c, _ := alice.Code(time.Unix(at, 0))
		return c
	}
	// 1111111110 starts a 30 s period.
	for _, c := range []struct {
		name string
		at   int64
		args []string
		want string
	}{
		{"mid-period", 1111111111, []string{"alice"}, codeAt(1111111111)},
		{"3 s left", 1111111137, []string{"alice"}, codeAt(1111111137)},
		{"2 s left: the next period's", 1111111138, []string{"alice"}, codeAt(1111111140)},
		{"the last second: the next period's", 1111111139, []string{"--enter", "alice"}, codeAt(1111111140) + "\n"},
		{"HOTP: counter 0", 1111111111, []string{"bob"}, "755224"},
		{"HOTP: counter 1, used up", 1111111111, []string{"bob"}, "287082"},
	} {
		k := &keys{}
		if err := s.typeAt(time.Unix(c.at, 0), k, c.args...); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(k.typed) != 1 || k.typed[0] != c.want {
			t.Errorf("%s: typed %q, want %q", c.name, k.typed, c.want)
		}
	}
	if out, _, _ := s.run("", false, "code", "--next", "bob"); !strings.Contains(out, "359152") {
		t.Errorf("after two types the HOTP token is at %q, want counter 2 (359152)", out)
	}
	var usage *cli.UsageError
	for _, c := range []struct {
		args []string
		k    *keys
		want func(error) bool
	}{
		{[]string{"alice"}, nil, func(err error) bool { return errors.Is(err, autotype.ErrNoDisplay) }},
		{[]string{"--delay", "2m", "alice"}, &keys{}, func(err error) bool { return errors.As(err, &usage) }},
		{[]string{}, &keys{}, func(err error) bool { return errors.As(err, &usage) }},
		{[]string{"nobody"}, &keys{}, func(err error) bool { return err != nil }},
	} {
		if err := s.typeAt(time.Unix(1111111111, 0), c.k, c.args...); !c.want(err) {
			t.Errorf("type %v: %v", c.args, err)
		}
	}
}
