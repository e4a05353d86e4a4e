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

// A derived key is the same for one master key and purpose, and differs
// from the master key and from the key of any other purpose.
func TestDeriveKey(t *testing.T) {
	master := bytes.Repeat([]byte{7}, 32)
	a, err := seal.DeriveKey(master, "audit chain")
	if err != nil || len(a) != 32 {
		t.Fatalf("DeriveKey: %x, %v", a, err)
	}
	again, _ := seal.DeriveKey(master, "audit chain")
	other, _ := seal.DeriveKey(master, "something else")
	otherMaster, _ := seal.DeriveKey(bytes.Repeat([]byte{8}, 32), "audit chain")
	if !bytes.Equal(a, again) || bytes.Equal(a, master) || bytes.Equal(a, other) || bytes.Equal(a, otherMaster) {
		t.Errorf("derived keys: %x %x %x %x", a, again, other, otherMaster)
	}
	if _, err := seal.DeriveKey(master[:16], "audit chain"); err == nil {
		t.Error("a short master key was accepted")
	}
}
