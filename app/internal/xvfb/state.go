package xvfb

import (
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// NetWMState is the EWMH state (_NET_WM_STATE) of X window win on display
// ("" for $DISPLAY), as atom names: what the tests of a window kept on
// top read back.
func NetWMState(display string, win uint32) ([]string, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("connect to the X display: %w", err)
	}
	defer c.Close()
	const name = "_NET_WM_STATE"
	a, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply()
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", name, err)
	}
	r, err := xproto.GetProperty(c, false, xproto.Window(win), a.Atom, xproto.AtomAtom, 0, 64).Reply()
	if err != nil {
		return nil, fmt.Errorf("read the window's state: %w", err)
	}
	var names []string
	for i := 0; i+4 <= len(r.Value); i += 4 {
		n, err := xproto.GetAtomName(c, xproto.Atom(xgb.Get32(r.Value[i:]))).Reply()
		if err != nil {
			return nil, fmt.Errorf("name the window's state: %w", err)
		}
		names = append(names, n.Name)
	}
	return names, nil
}
