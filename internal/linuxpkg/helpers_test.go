//go:build linuxpkg

package linuxpkg

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// distFile is the package file name in dist/, for the version under
// test: name is the package, format deb or rpm.
func distFile(t *testing.T, name, format string) string {
	t.Helper()
	dist, version := os.Getenv("SOFTTOKEN_LINUXPKG_DIST"), os.Getenv("SOFTTOKEN_LINUXPKG_VERSION")
	if dist == "" || version == "" {
		t.Fatal("SOFTTOKEN_LINUXPKG_DIST and SOFTTOKEN_LINUXPKG_VERSION are not set: run make test-packages")
	}
	file := name + "_" + version + "-1_amd64.deb"
	if format == "rpm" {
		file = name + "-" + version + "-1.x86_64.rpm"
	}
	path := filepath.Join(dist, file)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no %s to test (make package makes it): %v", path, err)
	}
	return path
}

// run runs a command and returns its standard output; it fails the test
// with the command's output when it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// installed says whether dpkg has the package installed (or half so).
func installed(pkg string) bool {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", pkg).Output()
	return err == nil && !strings.HasSuffix(strings.TrimSpace(string(out)), "not-installed")
}

// install installs the .deb with dpkg -i, after checking that the
// machine does not have the package already, and purges it when the test
// ends. It returns the files the package installed (dpkg -L, folders
// left out).
func install(t *testing.T, pkg, deb string) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the test installs packages with dpkg: run it as root")
	}
	if installed(pkg) {
		t.Fatalf("%s is installed on this machine: the test would purge it; remove it first", pkg)
	}
	t.Cleanup(func() {
		if installed(pkg) {
			if out, err := exec.Command("dpkg", "--purge", pkg).CombinedOutput(); err != nil {
				t.Errorf("dpkg --purge %s: %v\n%s", pkg, err, out)
			}
		}
	})
	run(t, "dpkg", "-i", deb)
	var files []string
	for _, f := range strings.Split(strings.TrimSpace(run(t, "dpkg", "-L", pkg)), "\n") {
		if fi, err := os.Lstat(f); err == nil && !fi.IsDir() {
			files = append(files, f)
		}
	}
	return files
}

// purge purges the package and checks that none of its files is left.
func purge(t *testing.T, pkg string, files []string) {
	t.Helper()
	run(t, "dpkg", "--purge", pkg)
	if installed(pkg) {
		t.Errorf("dpkg still lists %s after --purge", pkg)
	}
	for _, f := range files {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("%s is left after dpkg --purge %s", f, pkg)
		}
	}
}

// iniSection reads the KEY=VALUE lines of one [section] of a systemd
// unit or desktop entry, in order, repeated keys included (blank lines
// and # or ; comments skipped).
func iniSection(t *testing.T, path, section string) [][2]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var kv [][2]string
	in := section == "" // "": the lines before any [section], as in an environment file
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			in = line == "["+section+"]"
		case in:
			k, v, ok := strings.Cut(line, "=")
			if !ok || strings.HasSuffix(line, `\`) {
				t.Fatalf("%s: a line the test does not understand: %q", path, line)
			}
			kv = append(kv, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return kv
}

// values are the values of key in kv, in order.
func values(kv [][2]string, key string) []string {
	var vs []string
	for _, p := range kv {
		if p[0] == key {
			vs = append(vs, p[1])
		}
	}
	return vs
}

// one is the single value of key in kv; the test fails unless there is
// exactly one.
func one(t *testing.T, kv [][2]string, key string) string {
	t.Helper()
	vs := values(kv, key)
	if len(vs) != 1 {
		t.Fatalf("%s= is set %d times, want once", key, len(vs))
	}
	return vs[0]
}
