//go:build linux || freebsd || openbsd || netbsd

package autotype

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
)

// X11 types and grabs hotkeys on an X11 display through its own
// connection (the window's toolkit keeps its own). It is safe for
// concurrent use: one typing at a time.
type X11 struct {
	mu   sync.Mutex
	conn *xgb.Conn
	root xproto.Window
	min  xproto.Keycode
	max  xproto.Keycode
}

// remapSettle is how long a client is given to see a temporary keyboard
// mapping before a key of it is typed (as xdotool waits).
const remapSettle = 30 * time.Millisecond

// quiet discards what package xgb would log.
var quiet = log.New(io.Discard, "", 0)

// keysymReturn is the X keysym of the Return key.
const keysymReturn = 0xff0d

// OpenX11 connects to the X11 display named by display ("" for $DISPLAY)
// and checks that it has the XTEST extension. A Wayland session without
// X11, or none at all, is ErrNoDisplay.
func OpenX11(display string) (*X11, error) {
	if display == "" && os.Getenv("DISPLAY") == "" {
		return nil, ErrNoDisplay
	}
	xgb.Logger = quiet // xgb logs its connection attempts to stderr
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDisplay, err)
	}
	if err := xtest.Init(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("the X server cannot type for programs (no XTEST extension): %w", err)
	}
	setup := xproto.Setup(conn)
	return &X11{conn: conn, root: setup.DefaultScreen(conn).Root, min: setup.MinKeycode, max: setup.MaxKeycode}, nil
}

// Close closes the connection.
func (x *X11) Close() error {
	x.conn.Close()
	return nil
}

// stroke is one key to type: its keycode, and whether Shift goes with it.
type stroke struct {
	code  xproto.Keycode
	shift bool
}

// keyboard is the keyboard's mapping at one moment: the keysyms of each
// keycode (per a row) and the keycodes of each modifier.
type keyboard struct {
	min       xproto.Keycode
	per       int
	syms      []xproto.Keysym
	modifiers [][]xproto.Keycode
}

// readKeyboard reads the current mapping.
func (x *X11) readKeyboard() (keyboard, error) {
	km, err := xproto.GetKeyboardMapping(x.conn, x.min, byte(x.max-x.min+1)).Reply()
	if err != nil {
		return keyboard{}, fmt.Errorf("read the keyboard mapping: %w", err)
	}
	mm, err := xproto.GetModifierMapping(x.conn).Reply()
	if err != nil {
		return keyboard{}, fmt.Errorf("read the modifier mapping: %w", err)
	}
	k := keyboard{min: x.min, per: int(km.KeysymsPerKeycode), syms: km.Keysyms}
	n := int(mm.KeycodesPerModifier)
	for m := 0; m < 8; m++ {
		k.modifiers = append(k.modifiers, mm.Keycodes[m*n:(m+1)*n])
	}
	return k, nil
}

// find is the stroke that types sym in the first group: its first
// level, or its second with Shift; ok is false when no key has it there.
func (k keyboard) find(sym xproto.Keysym) (stroke, bool) {
	if k.per == 0 {
		return stroke{}, false
	}
	for i := 0; i+1 < len(k.syms); i += k.per {
		code := k.min + xproto.Keycode(i/k.per)
		switch {
		case k.syms[i] == sym:
			return stroke{code: code}, true
		case k.per > 1 && k.syms[i+1] == sym:
			return stroke{code: code, shift: true}, true
		}
	}
	return stroke{}, false
}

// spare is a keycode no keysym is mapped to, for a temporary mapping.
func (k keyboard) spare() (xproto.Keycode, bool) {
	for i := len(k.syms) - k.per; i >= 0; i -= k.per {
		free := true
		for _, s := range k.syms[i : i+k.per] {
			free = free && s == 0
		}
		if free {
			return k.min + xproto.Keycode(i/k.per), true
		}
	}
	return 0, false
}

// shiftKey is a keycode of Shift.
func (k keyboard) shiftKey() (xproto.Keycode, bool) {
	for _, c := range k.modifiers[0] {
		if c != 0 {
			return c, true
		}
	}
	return 0, false
}

// Type types text into the focused window: each digit (or other
// character of Latin-1) with the keycode the current layout gives it,
// Shift where the layout needs it; a character no key has is typed through
// a spare keycode mapped to it for the moment and restored after. "\n" is
// Return.
func (x *X11) Type(ctx context.Context, text string, delay time.Duration) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	k, err := x.readKeyboard()
	if err != nil {
		return err
	}
	if err := x.awaitRelease(ctx); err != nil {
		return err
	}
	for _, r := range text {
		sym := xproto.Keysym(r)
		if r == '\n' {
			sym = keysymReturn
		} else if r < 0x20 || r > 0xff {
			return fmt.Errorf("type %q: only digits, letters and Enter are typed", r)
		}
		if err := x.typeSym(k, sym); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
	return nil
}

// typeSym types one keysym.
func (x *X11) typeSym(k keyboard, sym xproto.Keysym) error {
	s, ok := k.find(sym)
	if !ok {
		return x.typeRemapped(k, sym)
	}
	var shift xproto.Keycode
	if s.shift {
		if shift, ok = k.shiftKey(); !ok {
			return errors.New("type a passcode: the keyboard has no Shift key")
		}
	}
	return x.press(shift, s.code)
}

// typeRemapped types sym through a spare keycode mapped to it, then
// restores the keycode.
func (x *X11) typeRemapped(k keyboard, sym xproto.Keysym) error {
	code, ok := k.spare()
	if !ok {
		return fmt.Errorf("type a passcode: no key of this keyboard layout types %q, and no spare key to map it to", rune(sym))
	}
	set := func(s xproto.Keysym) error {
		syms := make([]xproto.Keysym, k.per)
		for i := range syms {
			syms[i] = s
		}
		return xproto.ChangeKeyboardMappingChecked(x.conn, 1, code, byte(k.per), syms).Check()
	}
	if err := set(sym); err != nil {
		return fmt.Errorf("map a spare key: %w", err)
	}
	defer set(0)
	time.Sleep(remapSettle)
	err := x.press(0, code)
	time.Sleep(remapSettle)
	return err
}

// press presses and releases code, with modifier held around it (0:
// none), through XTEST.
func (x *X11) press(modifier, code xproto.Keycode) error {
	events := []struct {
		kind byte
		code xproto.Keycode
	}{{xproto.KeyPress, modifier}, {xproto.KeyPress, code}, {xproto.KeyRelease, code}, {xproto.KeyRelease, modifier}}
	for _, e := range events {
		if e.code == 0 {
			continue
		}
		if err := xtest.FakeInputChecked(x.conn, e.kind, byte(e.code), 0, x.root, 0, 0, 0).Check(); err != nil {
			return fmt.Errorf("type a key: %w", err)
		}
	}
	return nil
}

// held are the keys pressed now.
func (x *X11) held() ([]xproto.Keycode, error) {
	km, err := xproto.QueryKeymap(x.conn).Reply()
	if err != nil {
		return nil, fmt.Errorf("read the keys held: %w", err)
	}
	var held []xproto.Keycode
	for c := int(x.min); c <= int(x.max); c++ {
		if km.Keys[c/8]&(1<<(c%8)) != 0 {
			held = append(held, xproto.Keycode(c))
		}
	}
	return held, nil
}

// awaitRelease waits until no key is held (the hotkey's Ctrl+Alt+digit
// being let go: while its digit is down, the hotkey's grab takes what is
// typed), up to releaseWait, then releases the keys still held, so that
// they never combine with the digits typed.
func (x *X11) awaitRelease(ctx context.Context) error {
	deadline := time.Now().Add(releaseWait)
	for {
		held, err := x.held()
		if err != nil || len(held) == 0 {
			return err
		}
		if time.Now().After(deadline) {
			for _, c := range held {
				if err := xtest.FakeInputChecked(x.conn, xproto.KeyRelease, byte(c), 0, x.root, 0, 0, 0).Check(); err != nil {
					return fmt.Errorf("release a held key: %w", err)
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
