//go:build wine

package wintest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The MSI's places, as Windows names them and as Wine keeps them.
const (
	installedExe = `C:\Program Files\softtoken\softtoken.exe`
	uninstallKey = `HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall`
	productsKey  = `HKLM\Software\Classes\Installer\Products`
	runKey       = `HKLM\Software\Microsoft\Windows\CurrentVersion\Run`
	wxs          = "../../assets/windows/softtoken.wxs"
)

// The MSI that make package built, installed, upgraded in place by MSIs
// of higher versions (built here from the same source with wixl), and
// removed, as a desktop team would with msiexec /qn: the installed
// program runs, the uninstall entry is one and says the version, start at
// logon follows STARTATLOGON and an upgrade keeps it unless given again,
// and a token stored before the upgrades is still there after them and
// after the removal (no install step touches the Credential Manager).
func TestMSI(t *testing.T) {
	version := fyneVersion(t)
	svc := service(t)
	secret := randomSecret(t)
	steps := []struct {
		props        []string
		startAtLogon bool
	}{
		{nil, false}, // make package's MSI, as it is
		{[]string{"STARTATLOGON=1"}, true},
		{nil, true}, // kept
		{[]string{"STARTATLOGON=0"}, false},
		{nil, false},
	}
	var code string
	for i, step := range steps {
		msi := msiPath(t)
		if i > 0 {
			version = nextVersion(t, version)
			msi = buildMSI(t, version)
		}
		msiexec(t, append([]string{"/i", winPath(msi), "/qn"}, step.props...)...)
		c := checkInstalled(t, version, step.startAtLogon)
		if c == code {
			t.Errorf("version %s kept the product code %s: each build should have its own", version, code)
		}
		code = c
		if i == 0 {
			if out := mustInstalled(t, svc, "", "version"); !strings.HasPrefix(out, "softtoken ") {
				t.Errorf("the installed softtoken.exe version says %q", out)
			}
			mustInstalled(t, svc, "", "add", "otpauth://totp/MSI:kept?secret="+secret)
		}
		checkCode(t, svc, secret)
	}

	msiexec(t, "/x", code, "/qn")
	if _, err := os.Stat(unixPath(installedExe)); !os.IsNotExist(err) {
		t.Errorf("after msiexec /x, %s: %v", installedExe, err)
	}
	if sc := shortcut(); sc != "" {
		t.Errorf("after msiexec /x the Start-menu shortcut is left: %s", sc)
	}
	if entries := uninstallEntries(t); len(entries) != 0 {
		t.Errorf("after msiexec /x, uninstall entries are left: %v", entries)
	}
	if run, ok := runValue(t); ok {
		t.Errorf("after msiexec /x the Run value is left: %s", run)
	}
	if out, err := regTry(t, "query", `HKLM\Software\softtoken`); err == nil {
		t.Errorf("after msiexec /x, HKLM\\Software\\softtoken is left:\n%s", out)
	}
	// The token outlives the program: the removal left the Credential
	// Manager alone.
	if list := must(t, svc, "", "list"); !strings.Contains(list, "kept (MSI)") {
		t.Errorf("after the removal the token is gone:\n%s", list)
	}
	must(t, svc, "", "delete", "--yes", "kept")
}

// checkInstalled checks what an install of version left (program,
// shortcut, one uninstall entry with the icon, the Run value only with
// startAtLogon) and returns the product code of the entry.
func checkInstalled(t *testing.T, version string, startAtLogon bool) string {
	t.Helper()
	if _, err := os.Stat(unixPath(installedExe)); err != nil {
		t.Fatalf("installed %s: %v", version, err)
	}
	if shortcut() == "" {
		t.Errorf("installed %s: no softtoken.lnk in the Start menu", version)
	}
	entries := uninstallEntries(t)
	if len(entries) != 1 {
		t.Fatalf("installed %s: %d uninstall entries, want one: %v", version, len(entries), entries)
	}
	var code string
	for c, e := range entries {
		code = c
		if e["DisplayVersion"] != version || e["Publisher"] != "softtoken" {
			t.Errorf("installed %s: the uninstall entry says %v", version, e)
		}
	}
	// The entry's icon, as Windows' Apps & features finds it for an MSI:
	// the product's ProductIcon (ARPPRODUCTICON), a copy of the .ico.
	products := regEntries(t, productsKey, "ProductName")
	if len(products) != 1 {
		t.Fatalf("installed %s: %d products registered, want one: %v", version, len(products), products)
	}
	for _, p := range products {
		if icon := p["ProductIcon"]; !strings.HasSuffix(icon, `\softtoken.ico`) {
			t.Errorf("installed %s: the product's icon is %q", version, icon)
		} else if _, err := os.Stat(unixPath(icon)); err != nil {
			t.Errorf("installed %s: the product's icon: %v", version, err)
		}
	}
	run, ok := runValue(t)
	if want := `"` + installedExe + `"`; startAtLogon && run != want {
		t.Errorf("installed %s, start at logon wanted on: the Run value is %q, want %q", version, run, want)
	}
	if !startAtLogon && ok {
		t.Errorf("installed %s, start at logon wanted off: a Run value %q", version, run)
	}
	return code
}

// checkCode checks the installed program's code for the token "kept"
// against oathtool's.
func checkCode(t *testing.T, svc, secret string) {
	t.Helper()
	checkTOTP(t, "the installed program's code", secret, func() string { return mustInstalled(t, svc, "", "code", "kept") },
		"--totp=sha1", "--digits=6", "--time-step-size=30s")
}

// mustInstalled runs the installed softtoken.exe, by its Windows path.
func mustInstalled(t *testing.T, service, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := runWithin(t, 2*time.Minute, installedExe, service, stdin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", installedExe, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// msiexec runs Wine's msiexec with args and a verbose log, shown when it
// fails.
func msiexec(t *testing.T, args ...string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "msiexec.log")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wine, append(append([]string{"msiexec"}, args...), "/l*v", winPath(log))...)
	out := tempFile(t) // a file, not a pipe: see runWithin
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	said := readBack(t, out)
	if err != nil {
		b, _ := os.ReadFile(log)
		tail := string(b)
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		t.Fatalf("msiexec %s: %v\n%s\nlog (end): %s", strings.Join(args, " "), err, said, tail)
	}
}

// uninstallEntries is softtoken's entries under the Uninstall key, by
// product code, each with its values.
func uninstallEntries(t *testing.T) map[string]map[string]string {
	t.Helper()
	return regEntries(t, uninstallKey, "DisplayName")
}

// regEntries is the subkeys of key whose value name is softtoken, by
// their last name, each with its values.
func regEntries(t *testing.T, key, name string) map[string]map[string]string {
	t.Helper()
	out, err := regTry(t, "query", key, "/s")
	if err != nil {
		t.Fatalf("reg query %s: %v\n%s", key, err, out)
	}
	entries := map[string]map[string]string{}
	var sub string
	var values map[string]string
	for _, line := range strings.Split(strings.ReplaceAll(out, "\r", ""), "\n") {
		if strings.HasPrefix(line, "HKEY_") {
			sub, values = line[strings.LastIndex(line, `\`)+1:], map[string]string{}
			continue
		}
		f := strings.SplitN(strings.TrimSpace(line), "    ", 3)
		if len(f) == 3 && values != nil {
			values[f[0]] = f[2]
			if f[0] == name && f[2] == "softtoken" {
				entries[sub] = values
			}
		}
	}
	return entries
}

// runValue is HKLM's Run value softtoken, if there is one.
func runValue(t *testing.T) (string, bool) {
	t.Helper()
	out, err := regTry(t, "query", runKey, "/v", "softtoken")
	if err != nil {
		return "", false
	}
	for _, line := range strings.Split(strings.ReplaceAll(out, "\r", ""), "\n") {
		if f := strings.SplitN(strings.TrimSpace(line), "    ", 3); len(f) == 3 && f[0] == "softtoken" {
			return f[2], true
		}
	}
	t.Fatalf("reg query %s /v softtoken found it but says:\n%s", runKey, out)
	return "", false
}

// shortcut is the Start menu's softtoken.lnk, or "". Windows puts a
// per-machine package's in the Start menu of all users (ProgramData);
// Wine 8's msiexec puts it in the installing user's (AppData), which is
// where it is looked for second.
func shortcut() string {
	const lnk = `Microsoft\Windows\Start Menu\Programs\softtoken.lnk`
	found, _ := filepath.Glob(unixPath(`C:\users\*\AppData\Roaming\` + lnk))
	for _, p := range append([]string{unixPath(`C:\ProgramData\` + lnk)}, found...) {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// msiPath is the MSI make package built, next to the .exe.
func msiPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("SOFTTOKEN_WINDOWS_MSI")
	if p == "" {
		p = strings.TrimSuffix(exe, ".exe") + ".msi"
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no MSI to test (%v): run `make package` first", err)
	}
	return p
}

// buildMSI builds the MSI of version from the same source and binary as
// make package, with wixl, in a temporary folder.
func buildMSI(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	source, err := filepath.Abs(wxs)
	if err != nil {
		t.Fatal(err)
	}
	// wixl takes its files by relative names only.
	if err := os.Symlink(exe, filepath.Join(dir, "softtoken.exe")); err != nil {
		t.Fatal(err)
	}
	tool(t, "convert", "../../assets/icon.png", "-define", "icon:auto-resize=256,64,48,32,16", filepath.Join(dir, "softtoken.ico"))
	cmd := exec.Command("wixl", "-a", "x64", "-D", "Version="+version, "-D", "Exe=softtoken.exe", "-D", "Icon=softtoken.ico", "-o", "softtoken.msi", source)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wixl: %v\n%s", err, out)
	}
	return filepath.Join(dir, "softtoken.msi")
}

// fyneVersion is FyneApp.toml's Version, which make package gives the MSI.
func fyneVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([0-9]+\.[0-9]+\.[0-9]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("FyneApp.toml has no Version of the form major.minor.patch")
	}
	return string(m[1])
}

// nextVersion is version with its patch number one higher: Windows
// Installer compares the first three fields.
func nextVersion(t *testing.T, version string) string {
	t.Helper()
	i := strings.LastIndex(version, ".")
	patch, err := strconv.Atoi(version[i+1:])
	if err != nil {
		t.Fatalf("version %q: %v", version, err)
	}
	return fmt.Sprintf("%s.%d", version[:i], patch+1)
}

// winPath is the Windows name of a Linux path (Wine's drive Z:).
func winPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return "Z:" + strings.ReplaceAll(abs, "/", `\`)
}

// unixPath is where a C: path of the prefix is on Linux.
func unixPath(p string) string {
	rest := strings.TrimPrefix(strings.TrimPrefix(p, "C:"), "c:")
	return filepath.Join(prefix, "drive_c", filepath.FromSlash(strings.ReplaceAll(rest, `\`, "/")))
}
