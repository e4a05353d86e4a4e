package gui_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
)

// rfcToken is the RFC 6238 SHA1 test token: at 1111111111 it shows
// 14050471 with 29 s left.
func rfcToken(label string) token.Token {
	return token.Token{Label: label, Secret: token.Secret("12345678901234567890"),
		Params: token.Params{Type: token.TOTP, Algorithm: token.SHA1, Digits: 8, Period: 30}}
}

type fixture struct {
	w     *gui.Window
	store *keyringstore.Store
	now   time.Time
	later []timer // what the window asked to run later
}

type timer struct {
	after time.Duration
	f     func()
}

// runLater runs the delayed work the window scheduled, as if its time came.
func (f *fixture) runLater() {
	later := f.later
	f.later = nil
	for _, l := range later {
		l.f()
	}
}

// memApp is a test app with the default theme (the test theme lacks bold
// monospace) and an empty token store in memory.
func memApp(t *testing.T) (fyne.App, *keyringstore.Store) {
	t.Helper()
	a := test.NewTempApp(t)
	test.ApplyTheme(t, theme.DefaultTheme())
	store, err := keyringstore.New(keyringstore.Config{Backend: &keyringstore.MemoryBackend{}, LockPath: filepath.Join(t.TempDir(), "lock")})
	if err != nil {
		t.Fatal(err)
	}
	return a, store
}

func newFixture(t *testing.T, labels ...string) *fixture {
	t.Helper()
	return configuredFixture(t, nil, labels...)
}

// configuredFixture is newFixture with the window's configuration changed
// by configure first, when given.
func configuredFixture(t *testing.T, configure func(*gui.Config), labels ...string) *fixture {
	t.Helper()
	a, store := memApp(t)
	for _, l := range labels {
		if _, err := store.Add(rfcToken(l)); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{store: store, now: time.Unix(1111111111, 0)}
	cfg := gui.Config{Store: store, Now: func() time.Time { return f.now },
		After: func(d time.Duration, fn func()) { f.later = append(f.later, timer{d, fn}) }}
	if configure != nil {
		configure(&cfg)
	}
	f.w = gui.New(a, cfg)
	return f
}

func codeText(r *gui.Row) string {
	var b strings.Builder
	for _, s := range r.Code.Segments {
		b.WriteString(s.Textual())
	}
	return b.String()
}

func labelTexts(w *gui.Window) string { return windowLabels(w.Win) }

// windowLabels is the text of every label win shows, a line each.
func windowLabels(win fyne.Window) string {
	var out []string
	for _, o := range test.LaidOutObjects(win.Content()) {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	}
	return strings.Join(out, "\n")
}

// The countdown counts every second only with the focus; without it (in
// the background or the tray) it moves in 5 s steps (rounded down, and
// one by one at the end), turning
// to the warning colour in its last 5 seconds. The passcode is new at once
// either way.
func TestCountdownPace(t *testing.T) {
	f := newFixture(t, "alice (bank.example)")
	r := f.w.Rows()[0]
	// 1111111080 starts a 30 s step: seconds left = 30 - (t - 1111111080).
	tests := []struct {
		name       string
		focused    bool
		at         int64
		code, left string
		warning    bool
	}{
		{"focused", true, 1111111081, "0708 1804", "29 s", false},
		{"focused", true, 1111111087, "0708 1804", "23 s", false},
		{"background, rounded down", false, 1111111085, "0708 1804", "20 s", false},
		{"background, a step's own second", false, 1111111090, "0708 1804", "20 s", false},
		{"background, next step", false, 1111111091, "0708 1804", "10 s", false},
		{"background, the last step", false, 1111111100, "0708 1804", "10 s", false},
		{"background, below the last step: at most 9 s", false, 1111111101, "0708 1804", "≤ 9 s", true},
		{"background, warning", false, 1111111105, "0708 1804", "≤ 9 s", true},
		{"focused, 9 s left: no warning yet", true, 1111111101, "0708 1804", "9 s", false},
		{"focused in the warning: one by one", true, 1111111108, "0708 1804", "2 s", true},
		{"background again, same second", false, 1111111108, "0708 1804", "≤ 9 s", true},
		{"background, new passcode at once", false, 1111111111, "1405 0471", "20 s", false},
		{"shown again: exact at once", true, 1111111117, "1405 0471", "23 s", false},
	}
	for _, tc := range tests {
		f.now = time.Unix(tc.at, 0)
		f.w.SetFocused(tc.focused)
		if got := codeText(r); got != tc.code || r.Left.Text != tc.left {
			t.Errorf("%s, at %d: %q %q, want %q %q", tc.name, tc.at, got, r.Left.Text, tc.code, tc.left)
		}
		if warn := r.Left.Importance == widget.WarningImportance; warn != tc.warning {
			t.Errorf("%s, at %d: warning %v, want %v", tc.name, tc.at, warn, tc.warning)
		}
	}
}

func TestEmptyState(t *testing.T) {
	f := newFixture(t)
	if got := labelTexts(f.w); !strings.Contains(got, "No tokens yet. Press Add") {
		t.Errorf("empty window shows %q", got)
	}
	if f.w.AddButton.Disabled() {
		t.Error("Add is disabled with no tokens")
	}
}

func TestRowsShowPasscodesAndRollOver(t *testing.T) {
	f := newFixture(t, "alice (bank.example)", "bob (broker.example)")
	f.w.SetFocused(true)
	rows := f.w.Rows()
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	tests := []struct {
		at      int64
		code    string
		left    string
		warning bool
	}{
		{1111111111, "1405 0471", "29 s", false},  // RFC 6238 vector
		{1111111109, "0708 1804", "1 s", true},    // RFC 6238 vector, last second of its step
		{1111111105, "0708 1804", "5 s", true},    // the warning starts 5 s before the end
		{1111111104, "0708 1804", "6 s", false},   //
		{1234567890, "8900 5924", "30 s", false},  // RFC 6238 vector at a step's first second
		{20000000000, "6535 3130", "10 s", false}, // RFC 6238 vector in 2603
	}
	for _, tc := range tests {
		f.now = time.Unix(tc.at, 0)
		f.w.Refresh()
		r := rows[0]
		if got := codeText(r); got != tc.code || r.Left.Text != tc.left {
			t.Errorf("at %d: %q %q, want %q %q", tc.at, got, r.Left.Text, tc.code, tc.left)
		}
		if warn := r.Left.Importance == widget.WarningImportance; warn != tc.warning {
			t.Errorf("at %d: warning %v, want %v", tc.at, warn, tc.warning)
		}
	}
	if !strings.Contains(rows[1].Name.Text, "2  bob (broker.example)") {
		t.Errorf("second row: %q", rows[1].Name.Text)
	}
}

// TestCopyAndClear: the Copy button and a click on the digits copy the
// passcode the same way, and the clipboard is cleared after 30 s.
func TestCopyAndClear(t *testing.T) {
	for _, tc := range []struct {
		what string
		tap  func(*gui.Row) fyne.Tappable
	}{
		{"Copy", func(r *gui.Row) fyne.Tappable { return r.Copy }},
		{"digits", func(r *gui.Row) fyne.Tappable { return r.Digits }},
	} {
		t.Run(tc.what, func(t *testing.T) { testCopyAndClear(t, tc.tap) })
	}
}

func testCopyAndClear(t *testing.T, tap func(*gui.Row) fyne.Tappable) {
	t.Helper()
	f := newFixture(t, "alice")
	clip := fyne.CurrentApp().Clipboard()
	test.Tap(tap(f.w.Rows()[0]))
	if got := clip.Content(); got != "14050471" {
		t.Fatalf("clipboard holds %q", got)
	}
	if !strings.Contains(f.w.Status.Text, "Passcode of alice copied; the clipboard is cleared in 30 s") {
		t.Errorf("notice %q", f.w.Status.Text)
	}
	if len(f.later) != 2 || f.later[1].after != 30*time.Second {
		t.Fatalf("scheduled %v, want the clearing after 30 s and the notice's end", f.later)
	}
	f.runLater()
	if got := clip.Content(); got != "" || f.w.Status.Text != "" {
		t.Errorf("after 30 s: clipboard %q, notice %q", got, f.w.Status.Text)
	}

	// Something the user copied since is left alone.
	test.Tap(tap(f.w.Rows()[0]))
	clip.SetContent("my own text")
	f.runLater()
	if got := clip.Content(); got != "my own text" {
		t.Errorf("the clearing wiped the user's text: %q", got)
	}
	// Ctrl+1 copies slot 1.
	clip.SetContent("")
	f.w.CopySlot(1)
	if got := clip.Content(); got != "14050471" {
		t.Errorf("slot 1: %q", got)
	}
}

func TestSixTokenLimit(t *testing.T) {
	var labels []string
	for i := 1; i <= token.MaxTokens; i++ {
		labels = append(labels, fmt.Sprintf("user%d", i))
	}
	f := newFixture(t, labels...)
	if !f.w.AddButton.Disabled() || !f.w.FullNote.Visible() || !strings.Contains(f.w.FullNote.Text, "delete one") {
		t.Errorf("with six tokens: Add disabled %v, note %q", f.w.AddButton.Disabled(), f.w.FullNote.Text)
	}
	var asked string
	f.w.Confirm = func(_, msg string, answer func(bool)) { asked = msg; answer(true) }
	tapMenuItem(t, f.w, f.w.Rows()[5], "Delete…")
	if f.w.AddButton.Disabled() || f.w.FullNote.Visible() {
		t.Error("Add stays disabled with five tokens")
	}
	if asked == "" {
		t.Error("no confirmation was asked")
	}
}

func TestDeleteAsksFirst(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	var asked string
	f.w.Confirm = func(_, msg string, answer func(bool)) { asked = msg; answer(false) }
	tapMenuItem(t, f.w, f.w.Rows()[0], "Delete…")
	if !strings.Contains(asked, `Delete "alice"?`) || !strings.Contains(asked, "enrol again") {
		t.Errorf("the question: %q", asked)
	}
	if entries, _ := f.store.List(); len(entries) != 2 {
		t.Fatal("a refused deletion deleted")
	}
	f.w.Confirm = func(_, _ string, answer func(bool)) { answer(true) }
	tapMenuItem(t, f.w, f.w.Rows()[0], "Delete…")
	entries, _ := f.store.List()
	if len(entries) != 1 || entries[0].Token.Label != "bob" || len(f.w.Rows()) != 1 {
		t.Errorf("after deleting alice: %v", entries)
	}
}

func TestRename(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	f.w.AskName = func(current string, answer func(string)) {
		if current != "alice" {
			t.Errorf("asked with %q", current)
		}
		answer("  Alice at the bank ")
	}
	tapMenuItem(t, f.w, f.w.Rows()[0], "Rename…")
	if entries, _ := f.store.List(); entries[0].Token.Label != "Alice at the bank" {
		t.Errorf("renamed to %q", entries[0].Token.Label)
	}
	if !strings.Contains(f.w.Rows()[0].Name.Text, "Alice at the bank") {
		t.Errorf("row shows %q", f.w.Rows()[0].Name.Text)
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[string]string{"123456": "123 456", "12345678": "1234 5678"} {
		if got := gui.Group(in); got != want {
			t.Errorf("Group(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSettings(t *testing.T) {
	f := newFixture(t, "alice")
	prefs := fyne.CurrentApp().Preferences()
	s := gui.NewSettings(prefs, "https://default.example/secenrol/", policy.Policy{})
	if s.ClipboardSeconds.Text != "30" || s.EnrolURL.Text != "https://default.example/secenrol/" || s.StartMinimised.Checked {
		t.Errorf("defaults: %q %q %v", s.ClipboardSeconds.Text, s.EnrolURL.Text, s.StartMinimised.Checked)
	}
	for _, bad := range []string{"2", "abc", "601"} {
		if s.ClipboardSeconds.Validator(bad) == nil {
			t.Errorf("clipboard seconds %q accepted", bad)
		}
	}
	if s.EnrolURL.Validator("http://secureauth.example.com/") == nil {
		t.Error("a plain-HTTP enrol URL to another host accepted")
	}
	s.ClipboardSeconds.SetText("45")
	s.StartMinimised.SetChecked(true)
	s.EnrolURL.SetText("secureauth.example.com")
	s.Save()
	if prefs.Int(gui.PrefClipboardSeconds) != 45 || !prefs.Bool(gui.PrefStartMinimised) {
		t.Error("settings not saved")
	}
	// The copy notice follows the new clipboard time.
	test.Tap(f.w.Rows()[0].Copy)
	if !strings.Contains(f.w.Status.Text, "cleared in 45 s") {
		t.Errorf("notice %q", f.w.Status.Text)
	}
	if again := gui.NewSettings(prefs, "", policy.Policy{}); again.EnrolURL.Text != "https://secureauth.example.com/secenrol/" {
		t.Errorf("enrol URL saved as %q", again.EnrolURL.Text)
	}
}

// Without the focus the countdown steps, rounded down: at no moment of a
// period does it show more seconds than are left (a trader reading it
// from another window types the code in time).
func TestBackgroundCountdownNeverOverstates(t *testing.T) {
	f := newFixture(t, "alice (bank.example)")
	f.w.SetFocused(false)
	r := f.w.Rows()[0]
	const start = 1111111080 // a 30 s step begins
	steps := map[string]bool{}
	for at := time.Unix(start, 0); at.Before(time.Unix(start+30, 0)); at = at.Add(250 * time.Millisecond) {
		f.now = at
		f.w.Refresh()
		left := 30 - int(at.Unix()-start)
		text, bound := strings.CutPrefix(strings.TrimSuffix(r.Left.Text, " s"), "≤ ")
		shown, err := strconv.Atoi(text)
		if err != nil {
			t.Fatalf("countdown %q", r.Left.Text)
		}
		switch {
		case shown < left && bound, shown > left && !bound:
			t.Errorf("%d s left, the countdown shows %q", left, r.Left.Text)
		case left-shown >= 10:
			t.Errorf("%d s left, the countdown shows %d s: behind by a step", left, shown)
		}
		steps[r.Left.Text] = true
	}
	if len(steps) > 4 {
		t.Errorf("the background countdown changed %d times a period (redraws cost the idle app)", len(steps))
	}
}

// The ticker sleeps until the window next changes by itself: the next
// second with the focus, else the next step of a countdown or the next
// passcode; a change of pace wakes it.
func TestUntilChange(t *testing.T) {
	f := newFixture(t, "alice (bank.example)")
	// 1111111080 starts a 30 s step: seconds left = 30 - (t - 1111111080).
	tests := []struct {
		name    string
		focused bool
		at      time.Time
		want    time.Duration
	}{
		{"focused, on the second", true, time.Unix(1111111081, 0), time.Second},
		{"focused, within a second", true, time.Unix(1111111081, 300e6), 700 * time.Millisecond},
		{"background: to the next step (10 s, from 19 s left)", false, time.Unix(1111111082, 0), 9 * time.Second},
		{"background, within a second", false, time.Unix(1111111082, 250e6), 8750 * time.Millisecond},
		{"background: from 10 s to at most 9 s", false, time.Unix(1111111100, 0), time.Second},
		{"background: at most 9 s until the next passcode", false, time.Unix(1111111101, 0), 9 * time.Second},
		{"background: 4 s until the next passcode", false, time.Unix(1111111106, 0), 4 * time.Second},
	}
	for _, tc := range tests {
		f.w.SetFocused(tc.focused)
		select {
		case <-f.w.Wake():
		default:
			t.Errorf("%s: the pace changed and the ticker was not woken", tc.name)
		}
		if got := f.w.UntilChange(tc.at); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
