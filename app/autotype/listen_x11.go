//go:build linux || freebsd || openbsd || netbsd

package autotype

import (
	"context"
	"errors"
	"fmt"

	"github.com/jezek/xgb/xproto"
)

// ignoredStates are the modifier states a hotkey works under as without
// them: Caps Lock and Num Lock (Mod2), which a trader may have on.
var ignoredStates = []uint16{0, xproto.ModMaskLock, xproto.ModMask2, xproto.ModMaskLock | xproto.ModMask2}

// mask is the X modifier mask of h.
func (h Hotkey) mask() uint16 {
	var m uint16
	for _, b := range []struct {
		on  bool
		bit uint16
	}{{h.Ctrl, xproto.ModMaskControl}, {h.Alt, xproto.ModMask1}, {h.Shift, xproto.ModMaskShift}, {h.Super, xproto.ModMask4}} {
		if b.on {
			m |= b.bit
		}
	}
	return m
}

// ListenX11 grabs keys on the display ("" for $DISPLAY), on a connection
// of its own, and calls fired with the index of the hotkey pressed until
// ctx ends. A hotkey another program holds already is an error naming it
// (the others are not grabbed either: a trader should not get half their
// hotkeys without knowing).
func ListenX11(ctx context.Context, display string, keys []Hotkey, fired func(i int)) error {
	x, err := OpenX11(display)
	if err != nil {
		return err
	}
	defer x.Close()
	k, err := x.readKeyboard()
	if err != nil {
		return err
	}
	codes := make([]xproto.Keycode, len(keys))
	for i, h := range keys {
		s, ok := k.find(xproto.Keysym(h.Key))
		if !ok {
			return fmt.Errorf("hotkey %s: no key of this keyboard layout has %q", h, h.Key)
		}
		codes[i] = s.code
		for _, st := range ignoredStates {
			err := xproto.GrabKeyChecked(x.conn, true, x.root, h.mask()|st, s.code, xproto.GrabModeAsync, xproto.GrabModeAsync).Check()
			if err != nil {
				return fmt.Errorf("hotkey %s is taken by another program (%v): choose another in Settings", h, err)
			}
		}
	}
	stop := context.AfterFunc(ctx, func() { x.conn.Close() })
	defer stop()
	return x.serve(ctx, keys, codes, fired)
}

// serve reads key events until the connection closes.
func (x *X11) serve(ctx context.Context, keys []Hotkey, codes []xproto.Keycode, fired func(i int)) error {
	const relevant = xproto.ModMaskControl | xproto.ModMask1 | xproto.ModMaskShift | xproto.ModMask4
	for {
		ev, err := x.conn.WaitForEvent()
		switch {
		case ev == nil && err == nil:
			if ctx.Err() != nil {
				return nil
			}
			return errors.New("the X11 display closed the connection")
		case err != nil:
			continue // an error of a request without a reply: nothing waits for it
		}
		press, ok := ev.(xproto.KeyPressEvent)
		if !ok {
			continue
		}
		for i, h := range keys {
			if press.Detail == codes[i] && press.State&relevant == h.mask() {
				go fired(i)
			}
		}
	}
}
