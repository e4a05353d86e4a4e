package seal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/softtoken/softtoken/server/seal"
)

func TestSealOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	key, err := seal.LoadKey(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	again, err := seal.LoadKey(path, "")
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("reload: %v", err)
	}
	s, _ := seal.New(key)
	sealed, err := s.Seal([]byte("seed"), "seed:alice")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("seed")) {
		t.Error("plaintext visible")
	}
	if pt, err := s.Open(sealed, "seed:alice"); err != nil || string(pt) != "seed" {
		t.Errorf("open: %q, %v", pt, err)
	}
	if _, err := s.Open(sealed, "seed:bob"); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("opened with another user's binding: %v", err)
	}
	other, _ := seal.New(make([]byte, 32))
	if _, err := other.Open(sealed, "seed:alice"); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("opened with another key: %v", err)
	}
	if _, err := s.Open(sealed[:5], "seed:alice"); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("opened a short value: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := seal.LoadKey(path, ""); err == nil {
		t.Error("a world-readable key file was accepted")
	}
	if _, err := seal.LoadKey(path, "bm90IDMyIGJ5dGVz"); err == nil {
		t.Error("a short key in the environment was accepted")
	}
}
