package gui_test

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/token"
)

// hotpToken is the RFC 4226 test token: its codes at counters 0, 1, 2 are
// 755224, 287082, 359152.
func hotpToken(label string, counter uint64) token.Token {
	return token.Token{Label: label, Secret: token.Secret("12345678901234567890"),
		Params: token.Params{Type: token.HOTP, Algorithm: token.SHA1, Digits: 6, Counter: counter}}
}

// tapMenuItem opens row's "more" menu with a tap and taps its item called
// label, as a user does.
func tapMenuItem(t *testing.T, w *gui.Window, r *gui.Row, label string) {
	t.Helper()
	test.Tap(r.More)
	menu := w.Win.Canvas().Overlays().Top()
	if menu == nil {
		t.Fatal("the more button opened no menu")
	}
	// The innermost tappable holding the label is the item (the pop-up
	// around it is tappable too: a tap there closes the menu).
	var items []string
	var item fyne.Tappable
	for _, o := range test.LaidOutObjects(menu) {
		tap, ok := o.(fyne.Tappable)
		if !ok {
			continue
		}
		for _, inner := range test.LaidOutObjects(o) {
			if txt, ok := inner.(*canvas.Text); ok && txt.Text != "" {
				items = append(items, txt.Text)
				if txt.Text == label {
					item = tap
				}
			}
		}
	}
	if item != nil {
		test.Tap(item)
		return
	}
	t.Fatalf("the menu has no %q: %q", label, items)
}

// TestRowLayoutWithHOTP shows a window with a time-based and a counter-based
// token as a user sees it: every row is a few lines high and fits the
// window's width. (The counter-based row used to wrap its text one letter
// a line, with buttons 760 pixels tall, and pushed the window into a scroll.)
func TestRowLayoutWithHOTP(t *testing.T) {
	a, store := memApp(t)
	for _, tk := range []token.Token{rfcToken("alice (bank.example)"), hotpToken("bob (broker.example)", 0)} {
		if _, err := store.Add(tk); err != nil {
			t.Fatal(err)
		}
	}
	w := gui.New(a, gui.Config{Store: store, Now: func() time.Time { return time.Unix(1111111111, 0) },
		After: func(time.Duration, func()) {}}) // no clearing in a later test
	check := func(when string) {
		t.Helper()
		test.LaidOutObjects(w.Win.Content()) // lays the window out
		win := w.Win.Canvas().Size()
		if min := w.Win.Content().MinSize(); min.Height > win.Height || min.Width > win.Width {
			t.Errorf("%s: the window (%v) is smaller than its content (%v)", when, win, min)
		}
		for _, r := range w.Rows() {
			if h := r.Code.Size().Height; h > 80 {
				t.Errorf("%s: row %q: the passcode line is %.0f pixels high", when, r.Entry.Name(), h)
			}
			if wd := r.Code.Size().Width; wd < 80 { // one letter a line: 16
				t.Errorf("%s: row %q: the passcode line is %.0f pixels wide", when, r.Entry.Name(), wd)
			}
			for _, b := range []*widget.Button{r.Copy, r.Next, r.Swipe, r.More} {
				if b.Visible() && b.Size().Height > 2*b.MinSize().Height {
					t.Errorf("%s: row %q: button %q is %v, for %v", when, r.Entry.Name(), b.Text, b.Size(), b.MinSize())
				}
			}
		}
	}
	check("before Next code")
	test.Tap(w.Rows()[1].Next)
	check("after Next code")
}

func TestHOTPNextCode(t *testing.T) {
	a, store := memApp(t)
	if _, err := store.Add(rfcToken("alice")); err != nil {
		t.Fatal(err)
	}
	e, err := store.Add(hotpToken("bob", 0))
	if err != nil {
		t.Fatal(err)
	}
	var later []func()
	w := gui.New(a, gui.Config{Store: store, Now: func() time.Time { return time.Unix(1111111111, 0) },
		After: func(_ time.Duration, f func()) { later = append(later, f) }})
	clip := a.Clipboard()
	hotp := func() *gui.Row { return w.Rows()[1] }
	if hotp().Next.Hidden || !w.Rows()[0].Next.Hidden {
		t.Fatal("Next code is not on the counter-based row alone")
	}
	if !hotp().Copy.Disabled() || !hotp().Bar.Hidden {
		t.Error("before Next code: Copy is enabled or the countdown shows")
	}
	if got := codeText(hotp()); !strings.Contains(got, "Next code") {
		t.Errorf("before Next code the row says %q", got)
	}
	// A click on the text before any code copies nothing.
	test.Tap(hotp().Digits)
	if clip.Content() != "" {
		t.Errorf("clipboard %q before any code", clip.Content())
	}
	for i, want := range []string{"755224", "287082", "359152"} { // RFC 4226 vectors
		test.Tap(hotp().Next)
		if got := codeText(hotp()); got != gui.Group(want) {
			t.Errorf("code %d: the row shows %q, want %q", i, got, gui.Group(want))
		}
		if got := clip.Content(); got != want {
			t.Errorf("code %d: clipboard %q, want %q", i, got, want)
		}
		// The counter was stored before the code was shown.
		entries, err := store.List()
		if err != nil {
			t.Fatal(err)
		}
		if got := entries[1].Token.Counter; got != uint64(i+1) || entries[1].ID != e.ID {
			t.Errorf("code %d: stored counter %d, want %d", i, got, i+1)
		}
	}
	// The shown code stays clickable and copies the same code again.
	clip.SetContent("")
	test.Tap(hotp().Digits)
	if got := clip.Content(); got != "359152" {
		t.Errorf("a click on the digits copied %q", got)
	}
	// Redrawing every second does not move the counter nor hide the code.
	w.Refresh()
	if got := codeText(hotp()); got != "359 152" {
		t.Errorf("after a tick: %q", got)
	}
	if len(later) == 0 {
		t.Error("no clipboard clearing was scheduled")
	}
}

// TestRowMenu: Delete and Rename are in the row's menu, not beside Copy.
func TestRowMenu(t *testing.T) {
	f := newFixture(t, "alice")
	r := f.w.Rows()[0]
	for _, o := range test.LaidOutObjects(f.w.Win.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Visible() && (strings.Contains(b.Text, "Delete") || strings.Contains(b.Text, "Rename")) {
			t.Errorf("the window shows a %q button", b.Text)
		}
	}
	var labels []string
	for _, it := range r.Menu.Items {
		labels = append(labels, it.Label)
	}
	if got := strings.Join(labels, ","); got != "Rename…,Delete…" {
		t.Errorf("menu %q", got)
	}
}
