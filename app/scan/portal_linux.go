package scan

import (
	"context"
	"errors"
	"fmt"
	"image"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/softtoken/softtoken/token/qr"
)

// errNoPortal means the session has no screenshot portal to ask.
var errNoPortal = errors.New("no screenshot portal on the session bus")

// errPortalRefused means the desktop (or the user) refused the screenshot.
var errPortalRefused = errors.New("the desktop refused the screenshot: allow softtoken to take screenshots, or open an image of the code instead")

const (
	portalName = "org.freedesktop.portal.Desktop"
	portalPath = dbus.ObjectPath("/org/freedesktop/portal/desktop")
)

// portalTimeout bounds the wait for the portal's answer; the desktop may
// ask the user first.
var portalTimeout = 2 * time.Minute

// capturePortal asks the XDG desktop portal for a screenshot of the whole
// screen (org.freedesktop.portal.Screenshot, which works on Wayland) and
// reads the PNG file it answers with.
func capturePortal(ctx context.Context) (image.Image, error) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoPortal, err)
	}
	defer conn.Close()
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, portalName).Store(&owned); err != nil || !owned {
		var activatable []string
		_ = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable)
		if !contains(activatable, portalName) {
			return nil, errNoPortal
		}
	}
	// Subscribe to the answer before asking, at the request path the
	// portal will use (its spec: sender without ':' and '.'→'_', token).
	token := fmt.Sprintf("softtoken%d", time.Now().UnixNano())
	sender := strings.ReplaceAll(strings.TrimPrefix(conn.Names()[0], ":"), ".", "_")
	request := dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/portal/desktop/request/%s/%s", sender, token))
	if err := conn.AddMatchSignal(dbus.WithMatchObjectPath(request), dbus.WithMatchInterface("org.freedesktop.portal.Request"),
		dbus.WithMatchMember("Response")); err != nil {
		return nil, fmt.Errorf("screenshot portal: %w", err)
	}
	signals := make(chan *dbus.Signal, 4)
	conn.Signal(signals)
	opts := map[string]dbus.Variant{"handle_token": dbus.MakeVariant(token), "interactive": dbus.MakeVariant(false), "modal": dbus.MakeVariant(false)}
	var handle dbus.ObjectPath
	if err := conn.Object(portalName, portalPath).CallWithContext(ctx, "org.freedesktop.portal.Screenshot.Screenshot", 0, "", opts).Store(&handle); err != nil {
		return nil, fmt.Errorf("screenshot portal: %w", err)
	}
	timeout := time.NewTimer(portalTimeout)
	defer timeout.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timeout.C:
			return nil, errors.New("the screenshot portal did not answer: open an image of the code instead")
		case sig := <-signals:
			if (sig.Path != request && sig.Path != handle) || sig.Name != "org.freedesktop.portal.Request.Response" || len(sig.Body) < 2 {
				continue
			}
			return portalImage(sig.Body)
		}
	}
}

// portalImage reads the screenshot a portal Response names.
func portalImage(body []any) (image.Image, error) {
	code, _ := body[0].(uint32)
	results, _ := body[1].(map[string]dbus.Variant)
	if code != 0 {
		return nil, errPortalRefused
	}
	raw, _ := results["uri"].Value().(string)
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "file" {
		return nil, fmt.Errorf("screenshot portal: unexpected answer %q", raw)
	}
	f, err := os.Open(u.Path)
	if err != nil {
		return nil, fmt.Errorf("screenshot portal: %w", err)
	}
	defer f.Close()
	defer os.Remove(u.Path) // the screenshot is ours to delete: it may show secrets
	return qr.ReadImage(f)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
