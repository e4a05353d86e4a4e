//go:build screenshots

package screenshots

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"

	"github.com/softtoken/softtoken/app/internal/xvfb"
)

// TestCompact: the compact window, which asks the window manager to keep
// it above the others (_NET_WM_STATE_ABOVE on its X window).
func TestCompact(t *testing.T) {
	f := open(t, "en", demo, nil)
	f.nextCode(t)
	var note string
	var handle uintptr
	fyne.DoAndWait(func() {
		f.w.ShowCompact()
		note = f.w.Compact.Note.Text
		f.w.Compact.Win.(driver.NativeWindow).RunNative(func(ctx any) {
			if x, ok := ctx.(driver.X11WindowContext); ok {
				handle = x.WindowHandle
			}
		})
	})
	if note != "" {
		t.Errorf("the compact window says %q", note)
	}
	got, err := xvfb.NetWMState("", uint32(handle))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, "_NET_WM_STATE_ABOVE") {
		t.Errorf("the compact window's state is %v, want _NET_WM_STATE_ABOVE", got)
	}
	shoot(t, f.w, "compact")
}
