//go:build linuxpkg

package linuxpkg

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// Each .rpm is well formed (rpm checks its digests), names itself as the
// .deb does, holds the same files, and runs the same maintainer scripts.
func TestRPMs(t *testing.T) {
	version := os.Getenv("SOFTTOKEN_LINUXPKG_VERSION")
	for _, tc := range []struct {
		pkg      string
		scripts  []string
		requires string
	}{
		{appPkg, nil, "libGL.so.1()(64bit)"},
		{serverPkg, []string{"postinstall scriptlet", "preuninstall scriptlet", "postuninstall scriptlet"}, ""},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			rpm, deb := distFile(t, tc.pkg, "rpm"), distFile(t, tc.pkg, "deb")
			if out := run(t, "rpm", "-K", "--nosignature", rpm); !strings.HasSuffix(strings.TrimSpace(out), "digests OK") {
				t.Errorf("rpm -K %s: %s", rpm, out)
			}
			if got, want := run(t, "rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{RELEASE} %{ARCH}", rpm), tc.pkg+" "+version+" 1 x86_64"; got != want {
				t.Errorf("the rpm says %q, want %q", got, want)
			}
			// Files, not folders (the .rpm owns /etc/softtoken-server
			// so that an erase removes it; dpkg does so by itself).
			rpmFiles := lines(run(t, "sh", "-c", `rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$0" | grep -v '^d'`, rpm))
			debFiles := lines(run(t, "sh", "-c", `dpkg-deb -c "$0" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $1, $6}'`, deb))
			sort.Strings(rpmFiles)
			sort.Strings(debFiles)
			if strings.Join(rpmFiles, " ") != strings.Join(debFiles, " ") {
				t.Errorf("the rpm's files and modes %v, the deb's %v", rpmFiles, debFiles)
			}
			scripts := run(t, "rpm", "-qp", "--scripts", rpm)
			for _, s := range tc.scripts {
				if !strings.Contains(scripts, s) {
					t.Errorf("the rpm has no %s:\n%s", s, scripts)
				}
			}
			if requires := run(t, "rpm", "-qp", "--requires", rpm); !strings.Contains(requires, tc.requires) {
				t.Errorf("the rpm does not require %q:\n%s", tc.requires, requires)
			}
		})
	}
}

// lines are the lines of s, without the empty ones.
func lines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' })
}
