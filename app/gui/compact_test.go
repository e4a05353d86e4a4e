package gui_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/token"
)

// compactFixture is newFixture with a KeepOnTop that records the windows
// it was asked to keep on top, and fails with fail when set.
func compactFixture(t *testing.T, fail error, labels ...string) (*fixture, *[]fyne.Window) {
	t.Helper()
	var kept []fyne.Window
	f := configuredFixture(t, func(c *gui.Config) {
		c.KeepOnTop = func(w fyne.Window) error { kept = append(kept, w); return fail }
	}, labels...)
	return f, &kept
}

// TestCompactWindow: the compact window shows each token's name, digits
// and seconds, copies on a click as the main window does, is kept on top,
// follows the tokens, and is remembered across starts until Full.
func TestCompactWindow(t *testing.T) {
	f, kept := compactFixture(t, nil, "alice", "bob")
	test.Tap(f.w.CompactButton)
	c := f.w.Compact
	if c == nil {
		t.Fatal("Compact shows no compact window")
	}
	if len(*kept) != 1 || (*kept)[0] != c.Win {
		t.Errorf("kept on top: %v, want the compact window", *kept)
	}
	if f.w.Front() != c.Win {
		t.Error("a second launch would bring the main window forward, not the compact one")
	}
	if len(c.Rows) != 2 {
		t.Fatalf("%d compact rows, want 2", len(c.Rows))
	}
	// Beside other windows it counts down in steps, never over what is
	// left (29 s here); with the focus, every second.
	for _, focused := range []bool{false, true} {
		f.w.SetFocused(focused)
		left := map[bool]string{false: "20 s", true: "29 s"}[focused]
		for i, want := range []string{"1  alice", "2  bob"} {
			r := c.Rows[i]
			if r.Name.Text != want || codeText(r) != "1405 0471" || r.Left.Text != left {
				t.Errorf("row %d: %q %q %q, want %q 1405 0471 %s", i+1, r.Name.Text, codeText(r), r.Left.Text, want, left)
			}
		}
	}
	clip := fyne.CurrentApp().Clipboard()
	test.Tap(c.Rows[1].Digits)
	if got := clip.Content(); got != "14050471" {
		t.Errorf("a click on the compact digits copied %q", got)
	}

	// It follows the clock and the tokens.
	f.now = f.now.Add(30 * time.Second)
	f.w.Refresh()
	if got := codeText(c.Rows[0]); got == "1405 0471" {
		t.Error("the compact window kept the last period's passcode")
	}
	if _, err := f.store.Add(rfcToken("carol")); err != nil {
		t.Fatal(err)
	}
	f.w.Reload()
	if len(c.Rows) != 3 || c.Rows[2].Name.Text != "3  carol" {
		t.Errorf("after adding carol the compact window shows %d rows", len(c.Rows))
	}

	// Remembered: the next start shows the compact window.
	next := gui.New(fyne.CurrentApp(), gui.Config{Store: f.store, Now: func() time.Time { return f.now }})
	next.Show()
	if next.Compact == nil || next.Front() != next.Compact.Win {
		t.Fatal("the next start did not show the compact window")
	}

	// Full goes back, and is remembered too (closing the compact
	// window does the same: its close is intercepted by ShowFull).
	test.Tap(c.Full)
	if f.w.Front() != f.w.Win || fyne.CurrentApp().Preferences().Bool(gui.PrefCompact) {
		t.Error("Full left the compact window chosen")
	}
}

// TestCompactNotOnTop: a desktop that cannot keep the window on top says
// so in the compact window, which still works.
func TestCompactNotOnTop(t *testing.T) {
	f, _ := compactFixture(t, errors.New("wayland"), "alice")
	f.w.ShowCompact()
	if got := f.w.Compact.Note.Text; got != "Not kept on top here" {
		t.Errorf("note %q", got)
	}
	if got := codeText(f.w.Compact.Rows[0]); got != "1405 0471" {
		t.Errorf("passcode %q", got)
	}
}

// TestCompactRowKinds: a counter-based token's compact row offers Next
// code, which shows and copies its next passcode; an empty store says
// where to add one.
func TestCompactRowKinds(t *testing.T) {
	f, _ := compactFixture(t, nil)
	f.w.ShowCompact()
	if got := windowLabels(f.w.Compact.Win); !strings.Contains(got, "No tokens yet: add one in the full window.") {
		t.Errorf("the empty compact window says %q", got)
	}
	hotp := rfcToken("counter")
	hotp.Type, hotp.Digits = token.HOTP, 6
	if _, err := f.store.Add(hotp); err != nil {
		t.Fatal(err)
	}
	f.w.Reload()
	r := f.w.Compact.Rows[0]
	if r.Next.Hidden {
		t.Fatal("a counter-based token's compact row has no Next code")
	}
	test.Tap(r.Next)
	r = f.w.Compact.Rows[0]
	got := strings.ReplaceAll(codeText(r), " ", "")
	if _, err := strconv.Atoi(got); err != nil || len(got) != 6 {
		t.Fatalf("after Next code the compact row shows %q", got)
	}
	if clip := fyne.CurrentApp().Clipboard().Content(); clip != got {
		t.Errorf("Next code copied %q, shows %q", clip, got)
	}
}

// TestToolbarFits: with six tokens (the note saying Add is off shows) the
// window needs no more than its own width, 560, in either language.
func TestToolbarFits(t *testing.T) {
	for _, lang := range []string{"en", "it"} {
		f := newFixture(t, "a", "b", "c", "d", "e", "f")
		fyne.CurrentApp().Preferences().SetString(gui.PrefLanguage, lang)
		f.w.Relabel()
		if !f.w.FullNote.Visible() {
			t.Fatalf("%s: six tokens, and no note that Add is off", lang)
		}
		if got := f.w.Win.Content().MinSize().Width; got > 560 {
			t.Errorf("%s: the window needs %.0f px of width, more than its 560", lang, got)
		}
	}
}
