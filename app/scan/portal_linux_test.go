package scan

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/softtoken/softtoken/token/qr"
)

// privateBus starts a D-Bus session daemon of the test's own and points
// DBUS_SESSION_BUS_ADDRESS at it.
func privateBus(t *testing.T) {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		if os.Getenv("SOFTTOKEN_REQUIRE_TOOLS") == "1" {
			t.Fatalf("dbus-daemon is required: %v", err)
		}
		t.Skip("dbus-daemon not installed")
	}
	cmd := exec.Command(bin, "--session", "--nofork", "--print-address=1")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", strings.TrimSpace(addr))
}

// fakePortal is org.freedesktop.portal.Screenshot as a desktop provides
// it: it answers with a request path, then sends Response with the URI of
// a PNG file (or code 1 when the user refused).
type fakePortal struct {
	conn   *dbus.Conn
	png    string
	refuse atomic.Bool
}

func (p *fakePortal) Screenshot(msg dbus.Message, parent string, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	sender, _ := msg.Headers[dbus.FieldSender].Value().(string)
	token, _ := opts["handle_token"].Value().(string)
	path := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" + strings.ReplaceAll(strings.TrimPrefix(sender, ":"), ".", "_") + "/" + token)
	code, results := uint32(0), map[string]dbus.Variant{"uri": dbus.MakeVariant("file://" + p.png)}
	if p.refuse.Load() {
		code, results = 1, map[string]dbus.Variant{}
	}
	// The answer comes after the reply, as from a real portal.
	go p.conn.Emit(path, "org.freedesktop.portal.Request.Response", code, results)
	return path, nil
}

// The portal, tested on a real (private) session bus: a Wayland session
// asks it, reads the screenshot it names, and deletes the file.
func TestPortal(t *testing.T) {
	privateBus(t)
	t.Setenv("XDG_SESSION_TYPE", "wayland")
	t.Setenv("DISPLAY", "")
	if _, err := Screen(); !errors.Is(err, ErrNoScreen) {
		t.Fatalf("Wayland without a portal or X: %v", err)
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	png, err := qr.PNG("otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQ&issuer=Example", 300)
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "Screenshot.png")
	os.WriteFile(shot, png, 0o600)
	p := &fakePortal{conn: conn, png: shot}
	if err := conn.Export(p, portalPath, "org.freedesktop.portal.Screenshot"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(portalName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own the portal name: %v %v", reply, err)
	}
	text, err := Screen()
	if err != nil || !strings.HasPrefix(text, "otpauth://totp/Example:alice") {
		t.Fatalf("Screen through the portal: %q, %v", text, err)
	}
	if _, err := os.Stat(shot); !os.IsNotExist(err) {
		t.Error("the portal's screenshot file was not deleted")
	}
	p.refuse.Store(true)
	if _, err := Screen(); !errors.Is(err, errPortalRefused) {
		t.Errorf("a refused screenshot: %v", err)
	}
}
