//go:build linuxpkg

package linuxpkg

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	appPkg     = "softtoken"
	appDesktop = "/usr/share/applications/io.github.softtoken.desktop"
)

// The app's .deb installs on a machine with its dependencies (dpkg -i
// refuses it otherwise); every library the binary loads resolves; its
// desktop entry is valid and names the installed binary and icon; the
// binary runs; a purge leaves nothing.
func TestAppPackage(t *testing.T) {
	files := install(t, appPkg, distFile(t, appPkg, "deb"))
	if out, err := exec.Command("desktop-file-validate", appDesktop).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s", appDesktop, err, out)
	}
	entry := iniSection(t, appDesktop, "Desktop Entry")
	exe := strings.Fields(one(t, entry, "Exec"))[0]
	if path, err := exec.LookPath(exe); err != nil || path != "/usr/bin/softtoken" {
		t.Errorf("the desktop entry runs %q, found at %q (%v), want /usr/bin/softtoken", exe, path, err)
	}
	icon := "/usr/share/pixmaps/" + one(t, entry, "Icon") + ".png"
	if b, err := os.ReadFile(icon); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("the desktop entry's icon %s is no PNG: %v", icon, err)
	}
	if ldd := run(t, "ldd", "/usr/bin/softtoken"); strings.Contains(ldd, "not found") {
		t.Errorf("a library /usr/bin/softtoken needs is missing:\n%s", ldd)
	}
	for _, lib := range dlopened(t) {
		if out, err := exec.Command("sh", "-c", "ldconfig -p | grep -qF "+lib).CombinedOutput(); err != nil {
			t.Errorf("%s, which the app opens for its window, is not installed: %v %s", lib, err, out)
		}
	}
	cmd := exec.Command("/usr/bin/softtoken", "version")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANGUAGE=en_US", "HOME=" + t.TempDir()}
	if out, err := cmd.Output(); err != nil || !strings.HasPrefix(string(out), "softtoken ") {
		t.Errorf("softtoken version: %v %q", err, out)
	}
	purge(t, appPkg, files)
	for _, dir := range []string{"/usr/share/applications", "/usr/share/pixmaps", "/usr/bin"} {
		if m, _ := filepath.Glob(filepath.Join(dir, "*softtoken*")); len(m) > 0 {
			t.Errorf("left after the purge: %v", m)
		}
	}
}

// dlopened are the X libraries GLFW opens when it makes a window (not in
// the binary's ELF NEEDED, so ldd cannot tell): the package depends on
// their packages, so they must be there once it is installed.
func dlopened(t *testing.T) []string {
	t.Helper()
	libs := strings.Fields(run(t, "sh", "-c", "strings /usr/bin/softtoken | grep -E '^libX[A-Za-z0-9-]*\\.so\\.[0-9]+$' | sort -u"))
	if len(libs) < 5 {
		t.Fatalf("found %d X libraries named in /usr/bin/softtoken (%v): the test's search is wrong", len(libs), libs)
	}
	return libs
}
