package gui

import (
	"context"
	"slices"
	"sync"

	"fyne.io/fyne/v2"

	"github.com/softtoken/softtoken/app/autotype"
	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/token"
)

// The preferences of the hotkeys that type passcodes (docs/window.md,
// "Typing the passcode").
const (
	// PrefHotkeys is the modifiers of the hotkeys of tokens 1 to 6
	// (one of hotkeySets' names; "off" turns them off).
	PrefHotkeys = policy.PrefHotkeys
	// PrefHotkeyEnter presses Enter after a passcode a hotkey typed.
	PrefHotkeyEnter = policy.PrefHotkeyEnter
)

// hotkeySets are the hotkeys Settings offers: the modifiers, with the
// digits 1 to 6 for the tokens in the window's order, and the key of
// their label in the catalogues (keys are named as the trader's keyboard
// names them).
var hotkeySets = []struct{ name, label string }{
	{"ctrl+alt", "settings.hotkeys.ctrlalt"},
	{"ctrl+shift", "settings.hotkeys.ctrlshift"},
	{"super", "settings.hotkeys.super"},
	{"off", "settings.hotkeys.off"},
}

// hotkeysOf are the six hotkeys of the set named name, or nil for "off"
// (or a name no set has).
func hotkeysOf(name string) []autotype.Hotkey {
	keys := autotype.DefaultHotkeys()
	for i := range keys {
		switch name {
		case "ctrl+alt":
		case "ctrl+shift":
			keys[i].Alt, keys[i].Shift = false, true
		case "super":
			keys[i].Ctrl, keys[i].Alt, keys[i].Super = false, false, true
		default:
			return nil
		}
	}
	return keys
}

// ListenFunc grabs keys until ctx ends and calls fired with the index of
// the one pressed (autotype.ListenX11 on the display of the session).
type ListenFunc func(ctx context.Context, keys []autotype.Hotkey, fired func(i int)) error

// hotkeys is the window's listener: started by StartHotkeys, restarted
// when Settings change it; err is why it stopped, for Settings to say.
type hotkeys struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	err    error
}

// StartHotkeys (re)starts the hotkeys the settings name (off when the
// policy AutoType is 0): each types
// the passcode of its token into the window that has the focus
// (TypeSlot). Without a way to grab keys (no listener, Wayland) it does
// nothing but remember why, which Settings shows.
func (w *Window) StartHotkeys() {
	w.keys.mu.Lock()
	defer w.keys.mu.Unlock()
	if w.keys.cancel != nil {
		w.keys.cancel()
		w.keys.cancel = nil
	}
	w.keys.err = nil
	keys := hotkeysOf(w.Effective().Hotkeys.Value)
	if keys == nil {
		return
	}
	if w.cfg.Listen == nil || w.cfg.Typer == nil {
		w.keys.err = autotype.ErrNoDisplay
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.keys.cancel = cancel
	go func() {
		err := w.cfg.Listen(ctx, keys, func(i int) { fyne.Do(func() { w.TypeSlot(i + 1) }) })
		if err != nil && ctx.Err() == nil {
			fyne.Do(func() { w.notice(T("hotkeys.off", args{"Reason": Message(err)})) })
			w.keys.mu.Lock()
			w.keys.err = err // after the notice: who sees the error sees it told
			w.keys.mu.Unlock()
		}
	}()
}

// StopHotkeys lets the keys go (the app quits).
func (w *Window) StopHotkeys() {
	w.keys.mu.Lock()
	defer w.keys.mu.Unlock()
	if w.keys.cancel != nil {
		w.keys.cancel()
		w.keys.cancel = nil
	}
}

// hotkeyError is why the hotkeys do not work, or nil.
func (w *Window) hotkeyError() error {
	w.keys.mu.Lock()
	defer w.keys.mu.Unlock()
	return w.keys.err
}

// TypeSlot types the passcode of the window's n-th token (1 to 6) into
// the window that has the focus, by autotype's rules (the next period's
// when fewer than 3 s are left; an HOTP token's next code, which the
// window then shows as Next code does). The typing runs beside the Fyne
// thread: it waits for the hotkey's keys to be let go.
func (w *Window) TypeSlot(n int) {
	if n < 1 || n > len(w.entries) || w.cfg.Typer == nil || !w.Effective().AutoType.Value {
		return
	}
	e := w.entries[n-1]
	code, err := autotype.Passcode(w.cfg.Store, e, w.cfg.Now())
	if err != nil {
		w.notice(Message(err))
		return
	}
	if e.Err == nil && e.Token.Type == token.HOTP {
		w.hotp[e.ID] = code
		w.Reload()
	}
	if w.app.Preferences().Bool(PrefHotkeyEnter) {
		code += "\n"
	}
	name := entryName(e)
	w.cfg.Beside(func() {
		err := w.typeCode(code)
		fyne.Do(func() {
			if err != nil {
				w.notice(T("typed.failed", args{"Name": name, "Reason": Message(err)}))
				return
			}
			w.notice(T("typed", args{"Name": name}))
		})
	})
}

// typeCode types code with a typer of its own.
func (w *Window) typeCode(code string) error {
	t, err := w.cfg.Typer()
	if err != nil {
		return err
	}
	defer t.Close()
	return t.Type(context.Background(), code, autotype.DefaultDelay)
}

// hotkeySetIndex is the index in hotkeySets of the set named name (the
// default's for an unknown name).
func hotkeySetIndex(name string) int {
	i := slices.IndexFunc(hotkeySets, func(s struct{ name, label string }) bool { return s.name == name })
	if i < 0 {
		return 0
	}
	return i
}
