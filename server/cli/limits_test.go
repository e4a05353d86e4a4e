package cli_test

import (
	"strings"
	"testing"
)

// TestServeHelpShowsEveryLimit: `serve --help` lists every limit on what
// strangers' requests cost, with its default, as docs/web.md and
// docs/protocol.md ("Limits") state them.
func TestServeHelpShowsEveryLimit(t *testing.T) {
	out, err := newAdmin(t).run("", "serve", "--help")
	if err != nil {
		t.Fatalf("serve --help: %v", err)
	}
	for _, tt := range []struct{ flag, def string }{
		{"-frame-max-bytes", "(default 1048576)"},
		{"-frame-max-pixels", "(default 2000000)"},
		{"-frame-decodes", "(default 2)"},
		{"-max-web-sessions", "(default 100000)"},
		{"-max-web-sessions-per-addr", "(default 100)"},
		{"-hash-memory", "(default "},
		{"-hash-wait", "(default 5s)"},
		{"-hash-concurrency", "0: one per core"},
		{"-max-sockets", "(default 20000)"},
		{"-max-pending-logins", "(default 1000)"},
		{"-max-pending-per-addr", "(default 10)"},
	} {
		_, after, found := strings.Cut(out, "  "+tt.flag+" ")
		if line, _, _ := strings.Cut(after, "\n  -"); !found || !strings.Contains(line, tt.def) {
			t.Errorf("serve --help shows no %s %s:\n%s", tt.flag, tt.def, out)
		}
	}
}
