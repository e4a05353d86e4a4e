//go:build linux || freebsd || openbsd || netbsd

package ontop

import (
	"fmt"
	"io"
	"log"

	"fyne.io/fyne/v2/driver"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// xgb logs its connection attempts to stderr; set once, before any
// connection, as a global must be.
func init() { xgb.Logger = log.New(io.Discard, "", 0) }

func keep(ctx any) error {
	c, ok := ctx.(driver.X11WindowContext)
	if !ok || c.WindowHandle == 0 {
		return ErrUnsupported
	}
	return keepX11("", xproto.Window(c.WindowHandle))
}

// EWMH's _NET_WM_STATE actions and source indication.
const (
	netWMStateAdd     = 1
	sourceApplication = 1
)

// keepX11 asks the window manager of display ("" for $DISPLAY) to keep
// win above others. EWMH has two ways, one for each side of the window's
// mapping, and it is not known which side this is (the window was mapped
// on Fyne's own connection): the state is set on the window, which a
// window manager reads when it takes the window in, and asked of the
// window manager by a message to the root window, which it acts on for a
// window it manages already.
func keepX11(display string, win xproto.Window) error {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return fmt.Errorf("connect to the X display: %w", err)
	}
	defer conn.Close()
	state, err := atom(conn, "_NET_WM_STATE")
	if err != nil {
		return err
	}
	above, err := atom(conn, "_NET_WM_STATE_ABOVE")
	if err != nil {
		return err
	}
	data := make([]byte, 4)
	xgb.Put32(data, uint32(above))
	if err := xproto.ChangePropertyChecked(conn, xproto.PropModeAppend, win, state, xproto.AtomAtom, 32, 1, data).Check(); err != nil {
		return fmt.Errorf("set the window's state: %w", err)
	}
	msg := xproto.ClientMessageEvent{Format: 32, Window: win, Type: state,
		Data: xproto.ClientMessageDataUnionData32New([]uint32{netWMStateAdd, uint32(above), 0, sourceApplication, 0})}
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	if err := xproto.SendEventChecked(conn, false, root,
		xproto.EventMaskSubstructureRedirect|xproto.EventMaskSubstructureNotify, string(msg.Bytes())).Check(); err != nil {
		return fmt.Errorf("ask the window manager to keep the window on top: %w", err)
	}
	return nil
}

// atom is the X atom of name.
func atom(conn *xgb.Conn, name string) (xproto.Atom, error) {
	r, err := xproto.InternAtom(conn, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("look up %s: %w", name, err)
	}
	return r.Atom, nil
}
