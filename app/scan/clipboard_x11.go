//go:build linux || freebsd || openbsd || netbsd

package scan

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/softtoken/softtoken/token/qr"
)

// clipboardTimeout bounds the wait for the program that owns the
// clipboard to hand its image over.
const clipboardTimeout = 5 * time.Second

// Clipboard decodes the QR code in the image on the clipboard (PNG, as
// browsers and screenshot tools copy images). It asks the X11 clipboard
// owner for "image/png" over the X protocol itself (ICCCM, with INCR for
// large images), in pure Go: golang.design/x/clipboard loads libX11.so,
// which Debian and Ubuntu install only with libx11-dev, so a user's PC
// would not have it. Under Wayland this reads the XWayland clipboard.
func Clipboard() (string, error) {
	if os.Getenv("DISPLAY") == "" {
		return "", ErrNoClipboard
	}
	data, err := readClipboardPNG()
	if err != nil {
		return "", err
	}
	img, err := qr.ReadImage(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("the picture on the clipboard: %w", err)
	}
	return qr.Decode(img)
}

func readClipboardPNG() ([]byte, error) {
	c, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoClipboard, err)
	}
	defer c.Close()
	atom := func(name string) (xproto.Atom, error) {
		r, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply()
		if err != nil {
			return 0, fmt.Errorf("%w (%v)", ErrNoClipboard, err)
		}
		return r.Atom, nil
	}
	var clip, png, prop, incr xproto.Atom
	for name, a := range map[string]*xproto.Atom{"CLIPBOARD": &clip, "image/png": &png, "SOFTTOKEN_CLIPBOARD": &prop, "INCR": &incr} {
		if *a, err = atom(name); err != nil {
			return nil, err
		}
	}
	owner, err := xproto.GetSelectionOwner(c, clip).Reply()
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoClipboard, err)
	}
	if owner.Owner == xproto.WindowNone {
		return nil, ErrNoClipboardImage
	}
	screen := xproto.Setup(c).DefaultScreen(c)
	win, err := xproto.NewWindowId(c)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoClipboard, err)
	}
	if err := xproto.CreateWindowChecked(c, 0, win, screen.Root, 0, 0, 1, 1, 0, xproto.WindowClassInputOnly, screen.RootVisual,
		xproto.CwEventMask, []uint32{xproto.EventMaskPropertyChange}).Check(); err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoClipboard, err)
	}
	defer xproto.DestroyWindow(c, win)
	xproto.ConvertSelection(c, win, clip, png, prop, xproto.TimeCurrentTime)

	events := make(chan xgb.Event, 16)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(events)
		for {
			ev, err := c.WaitForEvent()
			if ev == nil && err == nil {
				return // the connection closed
			}
			if ev == nil {
				continue
			}
			select {
			case events <- ev:
			case <-done:
				return
			}
		}
	}()
	deadline := time.NewTimer(clipboardTimeout)
	defer deadline.Stop()
	next := func() (xgb.Event, error) {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil, ErrNoClipboard
			}
			return ev, nil
		case <-deadline.C:
			return nil, errors.New("the program that holds the clipboard did not hand the picture over: copy it again")
		}
	}
	for {
		ev, err := next()
		if err != nil {
			return nil, err
		}
		sn, ok := ev.(xproto.SelectionNotifyEvent)
		if !ok || sn.Requestor != win {
			continue
		}
		if sn.Property == xproto.AtomNone {
			return nil, ErrNoClipboardImage // the clipboard holds no PNG
		}
		break
	}
	data, typ, err := takeProperty(c, win, prop)
	if err != nil {
		return nil, err
	}
	if typ != incr {
		return data, nil
	}
	// INCR: the owner sends the image in pieces, one per property change,
	// and an empty piece at the end.
	var all []byte
	for {
		ev, err := next()
		if err != nil {
			return nil, err
		}
		pn, ok := ev.(xproto.PropertyNotifyEvent)
		if !ok || pn.Window != win || pn.Atom != prop || pn.State != xproto.PropertyNewValue {
			continue
		}
		piece, _, err := takeProperty(c, win, prop)
		if err != nil {
			return nil, err
		}
		if len(piece) == 0 {
			return all, nil
		}
		if len(all)+len(piece) > maxClipboardBytes {
			return nil, fmt.Errorf("the picture on the clipboard is larger than %d MB", maxClipboardBytes>>20)
		}
		all = append(all, piece...)
	}
}

// maxClipboardBytes bounds a clipboard image, like an image file.
const maxClipboardBytes = 64 << 20

// takeProperty reads and deletes a window property (deleting it tells an
// INCR sender to send the next piece).
func takeProperty(c *xgb.Conn, win xproto.Window, prop xproto.Atom) ([]byte, xproto.Atom, error) {
	r, err := xproto.GetProperty(c, true, win, prop, xproto.GetPropertyTypeAny, 0, maxClipboardBytes/4).Reply()
	if err != nil {
		return nil, 0, fmt.Errorf("%w (%v)", ErrNoClipboard, err)
	}
	if r.BytesAfter > 0 {
		return nil, 0, fmt.Errorf("the picture on the clipboard is larger than %d MB", maxClipboardBytes>>20)
	}
	return r.Value, r.Type, nil
}
