package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
)

// A user held by another session reads what to do in their language: sign
// out there, or the time the hold ends (in a <time> that time.js shows in
// the reader's zone), then the next passcode.
func TestHeldSaysWhenAndWhatToDo(t *testing.T) {
	const tag = `<time datetime="2026-12-06T09:05:00Z" data-format="time">09:05 UTC</time>`
	until, _ := time.Parse(time.RFC3339, "2026-12-06T09:05:00Z")
	tests := []struct {
		name string
		err  error
		l    lang.Lang
		want []string
	}{
		{"open, English", &account.HeldError{Open: true}, lang.English, []string{"sign out there first", "next passcode"}},
		{"open, Italian", &account.HeldError{Open: true}, lang.Italian, []string{"esca prima da lì", "passcode successivo"}},
		{"until, English", &account.HeldError{Until: until}, lang.English, []string{"refused until " + tag, "next passcode"}},
		{"until, Italian", &account.HeldError{Until: until}, lang.Italian, []string{"rifiutato fino alle " + tag, "passcode successivo"}},
	}
	for _, tc := range tests {
		status, m, ok := userMessage(tc.err, nil)
		if !ok || status != http.StatusConflict {
			t.Errorf("%s: status %d, ok %v", tc.name, status, ok)
		}
		got := string(translate(tc.l, m.Key, m.Args...))
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q does not say %q", tc.name, got, w)
			}
		}
	}
}
