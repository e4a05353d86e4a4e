package outbox_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/outbox"
)

// A message is a file only its owner reads, in a folder only its owner
// opens, even when the folder was made by hand for everyone to read.
func TestWriteIsPrivate(t *testing.T) {
	for _, existing := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "outbox")
		if existing {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			os.Chmod(dir, 0o755) // whatever the umask
		}
		if err := outbox.Write(dir, time.Unix(1_800_000_000, 0), "+447700900123", ".txt", []byte("Your passcode is 123456")); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
		if len(files) != 1 {
			t.Fatalf("the outbox holds %v", files)
		}
		fi, _ := os.Stat(files[0])
		di, _ := os.Stat(dir)
		if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
			t.Errorf("folder made before: %v; the file's mode %v, the folder's %v; want 0600 and 0700", existing, fi.Mode().Perm(), di.Mode().Perm())
		}
	}
}

// Prune removes the messages older than its limit, and nothing else: not
// a young message, not a file of another name, not a folder.
func TestPrune(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	for _, to := range []string{"old@example.com", "young@example.com"} {
		if err := outbox.Write(dir, now, to, ".eml", []byte("Passcode: 12345678")); err != nil {
			t.Fatal(err)
		}
	}
	foreign := filepath.Join(dir, "README.txt")
	os.WriteFile(foreign, []byte("picked up by the mail robot"), 0o600)
	os.Mkdir(filepath.Join(dir, "20260101T000000Z-sub-0123abcd.eml"), 0o700)
	old, _ := filepath.Glob(filepath.Join(dir, "*old@example.com*"))
	for _, p := range append(old, foreign, filepath.Join(dir, "20260101T000000Z-sub-0123abcd.eml")) {
		if err := os.Chtimes(p, now.Add(-8*24*time.Hour), now.Add(-8*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := outbox.Prune(dir, now.Add(-7*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Prune removed %d, %v; want 1", n, err)
	}
	left, _ := os.ReadDir(dir)
	names := map[string]bool{}
	for _, e := range left {
		names[e.Name()] = true
	}
	if len(left) != 3 || !names["README.txt"] || !names["20260101T000000Z-sub-0123abcd.eml"] {
		t.Errorf("left in the outbox: %v", names)
	}
	if n, err := outbox.Prune(filepath.Join(dir, "none"), now); n != 0 || err != nil {
		t.Errorf("a folder that does not exist: %d, %v", n, err)
	}
}
