package gui_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
)

func TestWindowShowsPasscodes(t *testing.T) {
	a := test.NewTempApp(t)
	store, err := keyringstore.New(keyringstore.Config{Backend: &keyringstore.MemoryBackend{}, LockPath: filepath.Join(t.TempDir(), "lock")})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1111111111, 0) // RFC 6238: SHA1 8 digits 14050471; 29 s left
	w := gui.New(a, gui.Config{Store: store, Now: func() time.Time { return now }})
	if got := labelTexts(w); !strings.Contains(got, "No tokens yet") {
		t.Errorf("empty window shows %q", got)
	}
	tok := token.Token{Label: "alice", Secret: token.Secret("12345678901234567890"),
		Params: token.Params{Type: token.TOTP, Algorithm: token.SHA1, Digits: 8, Period: 30}}
	if _, err := store.Add(tok); err != nil {
		t.Fatal(err)
	}
	w.Refresh()
	if got := labelTexts(w); !strings.Contains(got, "No tokens yet") {
		t.Errorf("Refresh read the store: %q", got)
	}
	w.Reload()
	if got, want := labelTexts(w), "1  alice   1405 0471   29 s"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	now = now.Add(29 * time.Second) // 1111111140 starts the next period
	w.Refresh()
	if got := labelTexts(w); !strings.HasSuffix(got, "   30 s") || strings.Contains(got, "1405 0471") {
		t.Errorf("after the period boundary: %q", got)
	}
}

func labelTexts(w *gui.Window) string {
	var out []string
	for _, o := range test.LaidOutObjects(w.Win.Content()) {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	}
	return strings.Join(out, "\n")
}

func TestGroup(t *testing.T) {
	for in, want := range map[string]string{"123456": "123 456", "12345678": "1234 5678"} {
		if got := gui.Group(in); got != want {
			t.Errorf("Group(%q) = %q, want %q", in, got, want)
		}
	}
}
