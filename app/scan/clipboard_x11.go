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

// clipRequest is one request for the clipboard's image: the X connection,
// the atoms it names, the window that receives the image, and the events
// of that window.
type clipRequest struct {
	c                     *xgb.Conn
	clip, png, prop, incr xproto.Atom
	win                   xproto.Window
	events                chan xgb.Event
	done                  chan struct{}
	deadline              *time.Timer
}

func readClipboardPNG() ([]byte, error) {
	c, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoClipboard, err)
	}
	defer c.Close()
	r := &clipRequest{c: c}
	if err := r.atoms(); err != nil {
		return nil, err
	}
	if err := r.window(); err != nil {
		return nil, err
	}
	defer xproto.DestroyWindow(c, r.win)
	xproto.ConvertSelection(c, r.win, r.clip, r.png, r.prop, xproto.TimeCurrentTime)
	r.listen()
	defer r.deadline.Stop()
	defer close(r.done)
	if err := r.awaitSelection(); err != nil {
		return nil, err
	}
	data, typ, err := takeProperty(c, r.win, r.prop)
	if err != nil || typ != r.incr {
		return data, err
	}
	return r.readIncr()
}

// atoms interns the atoms of the request and checks the clipboard has an
// owner.
func (r *clipRequest) atoms() error {
	for name, a := range map[string]*xproto.Atom{"CLIPBOARD": &r.clip, "image/png": &r.png, "SOFTTOKEN_CLIPBOARD": &r.prop, "INCR": &r.incr} {
		reply, err := xproto.InternAtom(r.c, false, uint16(len(name)), name).Reply()
		if err != nil {
			return fmt.Errorf("%w (%v)", ErrNoClipboard, err)
		}
		*a = reply.Atom
	}
	owner, err := xproto.GetSelectionOwner(r.c, r.clip).Reply()
	if err != nil {
		return fmt.Errorf("%w (%v)", ErrNoClipboard, err)
	}
	if owner.Owner == xproto.WindowNone {
		return ErrNoClipboardImage
	}
	return nil
}

// window makes the invisible window the image is delivered to.
func (r *clipRequest) window() error {
	screen := xproto.Setup(r.c).DefaultScreen(r.c)
	win, err := xproto.NewWindowId(r.c)
	if err != nil {
		return fmt.Errorf("%w (%v)", ErrNoClipboard, err)
	}
	if err := xproto.CreateWindowChecked(r.c, 0, win, screen.Root, 0, 0, 1, 1, 0, xproto.WindowClassInputOnly, screen.RootVisual,
		xproto.CwEventMask, []uint32{xproto.EventMaskPropertyChange}).Check(); err != nil {
		return fmt.Errorf("%w (%v)", ErrNoClipboard, err)
	}
	r.win = win
	return nil
}

// listen passes the connection's events to r.events until r.done closes,
// and starts the deadline of the whole request.
func (r *clipRequest) listen() {
	r.events, r.done = make(chan xgb.Event, 16), make(chan struct{})
	r.deadline = time.NewTimer(clipboardTimeout)
	go func() {
		defer close(r.events)
		for {
			ev, err := r.c.WaitForEvent()
			if ev == nil && err == nil {
				return // the connection closed
			}
			if ev == nil {
				continue
			}
			select {
			case r.events <- ev:
			case <-r.done:
				return
			}
		}
	}()
}

// next is the next event, or an error at the deadline.
func (r *clipRequest) next() (xgb.Event, error) {
	select {
	case ev, ok := <-r.events:
		if !ok {
			return nil, ErrNoClipboard
		}
		return ev, nil
	case <-r.deadline.C:
		return nil, errors.New("the program that holds the clipboard did not hand the picture over: copy it again")
	}
}

// awaitSelection waits for the owner's answer to the request.
func (r *clipRequest) awaitSelection() error {
	for {
		ev, err := r.next()
		if err != nil {
			return err
		}
		sn, ok := ev.(xproto.SelectionNotifyEvent)
		if !ok || sn.Requestor != r.win {
			continue
		}
		if sn.Property == xproto.AtomNone {
			return ErrNoClipboardImage // the clipboard holds no PNG
		}
		return nil
	}
}

// readIncr reads an image sent with INCR: the owner sends it in pieces,
// one per property change, and an empty piece at the end.
func (r *clipRequest) readIncr() ([]byte, error) {
	var all []byte
	for {
		ev, err := r.next()
		if err != nil {
			return nil, err
		}
		pn, ok := ev.(xproto.PropertyNotifyEvent)
		if !ok || pn.Window != r.win || pn.Atom != r.prop || pn.State != xproto.PropertyNewValue {
			continue
		}
		piece, _, err := takeProperty(r.c, r.win, r.prop)
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
