package cli_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A welcome mail is a file only the server's user reads, even in an
// outbox folder made by hand for all to read; serve removes the mails and
// text messages older than --outbox-keep (7 days unless told), and
// nothing else.
func TestOutboxIsPrivateAndPruned(t *testing.T) {
	a := newAdmin(t)
	dir := filepath.Dir(a.db)
	mails, texts := filepath.Join(dir, "outbox"), filepath.Join(dir, "sms-outbox")
	for _, d := range []string{mails, texts} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o755) // whatever the umask
	}
	a.add("trader-pass\n", "--email", "mickey@example.com", "mickey")
	fresh, _ := filepath.Glob(filepath.Join(mails, "*mickey@example.com*.eml"))
	if len(fresh) != 1 {
		t.Fatalf("the outbox holds %v", fresh)
	}
	fi, _ := os.Stat(fresh[0])
	di, _ := os.Stat(mails)
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("the welcome mail's mode %v, its folder's %v; want 0600 and 0700", fi.Mode().Perm(), di.Mode().Perm())
	}
	eightDays := time.Now().Add(-8 * 24 * time.Hour)
	old := []string{filepath.Join(mails, "20260101T000000Z-old@example.com-0123abcd.eml"), filepath.Join(texts, "20260101T000000Z-_447700900123-0123abcd.txt")}
	foreign := filepath.Join(mails, "notes.txt")
	for _, p := range append(old, foreign) {
		if err := os.WriteFile(p, []byte("Passcode: 12345678"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, eightDays, eightDays)
	}
	_, stop := a.serve()
	defer stop()
	for i := 0; i < 100 && (exists(old[0]) || exists(old[1])); i++ {
		time.Sleep(50 * time.Millisecond) // housekeeping prunes as serve starts
	}
	if exists(old[0]) || exists(old[1]) {
		t.Errorf("messages older than 7 days are still in the outboxes: %v", old)
	}
	if !exists(fresh[0]) || !exists(foreign) {
		t.Error("serve removed a young mail or a file it did not write")
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
