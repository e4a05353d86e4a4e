package gui_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/softtoken/softtoken/app/autotype"
	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/token"
)

// keyboard is a Typer and a ListenFunc for the window's tests: it keeps
// what was typed, and the hotkeys grabbed by the listener running now.
type keyboard struct {
	mu      sync.Mutex
	typed   []string
	grabbed []autotype.Hotkey
	fire    func(i int)
	stopped int
	listErr error
}

func (k *keyboard) Type(_ context.Context, text string, _ time.Duration) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.typed = append(k.typed, text)
	return nil
}

func (k *keyboard) Close() error { return nil }

func (k *keyboard) listen(ctx context.Context, keys []autotype.Hotkey, fired func(int)) error {
	k.mu.Lock()
	if k.listErr != nil {
		defer k.mu.Unlock()
		return k.listErr
	}
	k.grabbed, k.fire = keys, fired
	k.mu.Unlock()
	<-ctx.Done()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped++
	return nil
}

// wait waits until cond holds of k (the window types and listens beside
// the Fyne thread).
func (k *keyboard) wait(t *testing.T, what string, cond func(k *keyboard) bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		k.mu.Lock()
		ok := cond(k)
		k.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s", what)
		}
	}
}

// keyboardFixture is a window with a TOTP and an HOTP token and k as its
// keyboard.
func keyboardFixture(t *testing.T) (*fixture, *keyboard, fyne.App) {
	t.Helper()
	a, store := memApp(t)
	for _, tk := range []token.Token{rfcToken("alice (bank.example)"), hotpToken("bob (broker.example)", 0)} {
		if _, err := store.Add(tk); err != nil {
			t.Fatal(err)
		}
	}
	k := &keyboard{}
	f := &fixture{store: store, now: time.Unix(1111111111, 0)}
	f.w = gui.New(a, gui.Config{Store: store, Now: func() time.Time { return f.now },
		After: func(d time.Duration, fn func()) { f.later = append(f.later, timer{d, fn}) },
		Typer: func() (autotype.Typer, error) { return k, nil }, Listen: k.listen, Beside: func(f func()) { f() }})
	return f, k, a
}

// A hotkey types its token's passcode: a TOTP token's (the next period's
// in its last seconds), an HOTP token's next code, which the window then
// shows; Enter after it when Settings say so.
func TestHotkeysTypeTheRightCode(t *testing.T) {
	f, k, a := keyboardFixture(t)
	f.w.StartHotkeys()
	defer f.w.StopHotkeys()
	k.wait(t, "the grab", func(k *keyboard) bool { return k.fire != nil })
	if got := k.grabbed; len(got) != 6 || got[1].String() != "Ctrl+Alt+2" {
		t.Fatalf("grabbed %v, want Ctrl+Alt+1 … 6", got)
	}
	alice := rfcToken("alice")
	now, _ := alice.Code(f.now)
	next, _ := alice.Code(time.Unix(1111111140, 0))
	for _, c := range []struct {
		name  string
		at    int64
		fire  int
		enter bool
		want  string
	}{
		{"TOTP", 1111111111, 0, false, now},
		{"TOTP, 2 s left: the next period's", 1111111138, 0, false, next},
		{"HOTP: its next code", 1111111111, 1, false, "755224"},
		{"HOTP again, with Enter", 1111111111, 1, true, "287082\n"},
		{"no token 3", 1111111111, 2, false, ""},
	} {
		f.now = time.Unix(c.at, 0)
		a.Preferences().SetBool(gui.PrefHotkeyEnter, c.enter)
		k.mu.Lock()
		k.typed = nil
		fire := k.fire
		k.mu.Unlock()
		fire(c.fire)
		if c.want == "" {
			time.Sleep(50 * time.Millisecond)
			if len(k.typed) != 0 {
				t.Errorf("%s: typed %q", c.name, k.typed)
			}
			continue
		}
		k.wait(t, c.name, func(k *keyboard) bool { return len(k.typed) == 1 })
		if k.typed[0] != c.want {
			t.Errorf("%s: typed %q, want %q", c.name, k.typed[0], c.want)
		}
	}
	if got := codeText(f.w.Rows()[1]); got != "287 082" {
		t.Errorf("after two hotkeys the HOTP row shows %q, want its last code typed", got)
	}
}

// Settings change the hotkeys at once (the listener is started again) or
// turn them off; where none can be grabbed, Settings say why and what
// works instead.
func TestHotkeySettings(t *testing.T) {
	f, k, a := keyboardFixture(t)
	f.w.StartHotkeys()
	k.wait(t, "the grab", func(k *keyboard) bool { return k.fire != nil })
	s := gui.NewSettings(a.Preferences(), "", policy.Policy{})
	if s.Hotkeys.SelectedIndex() != 0 || s.Enter.Checked {
		t.Errorf("default settings: %q, enter %v", s.Hotkeys.Selected, s.Enter.Checked)
	}
	s.Hotkeys.SetSelected("Super+1 … 6")
	s.Save()
	f.w.StartHotkeys()
	k.wait(t, "the new grab", func(k *keyboard) bool { return len(k.grabbed) == 6 && k.grabbed[0].String() == "Super+1" })
	s.Hotkeys.SetSelectedIndex(3) // off
	s.Save()
	f.w.StartHotkeys()
	k.wait(t, "both listeners stopped", func(k *keyboard) bool { return k.stopped == 2 })

	k.listErr = errors.New("hotkey Ctrl+Alt+1 is taken by another program")
	a.Preferences().SetString(gui.PrefHotkeys, "ctrl+alt")
	f.w.StartHotkeys()
	deadline := time.Now().Add(5 * time.Second)
	for !f.w.SettingsForm().HotkeyNote.Visible() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if note := f.w.SettingsForm().HotkeyNote; !note.Visible() || !strings.Contains(note.Text, "taken by another program") {
		t.Errorf("a listener that failed: Settings say %q", note.Text)
	}

	none, _ := memApp(t)
	w := gui.New(none, gui.Config{Store: f.store})
	w.StartHotkeys()
	if note := w.SettingsForm().HotkeyNote; !note.Visible() || !strings.Contains(note.Text, "softtoken type 1") {
		t.Errorf("no way to grab keys: Settings say %q", note.Text)
	}
	none.Preferences().SetString(gui.PrefHotkeys, "off")
	w.StartHotkeys()
	if note := w.SettingsForm().HotkeyNote; note.Visible() {
		t.Errorf("hotkeys off: Settings say %q", note.Text)
	}
}
