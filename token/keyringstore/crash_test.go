package keyringstore_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gofrs/flock"

	"github.com/softtoken/softtoken/token/keyringstore"
)

var errCrash = errors.New("simulated crash")

// crashingBackend lets `left` changes through and then dies: that change and
// everything after it fail, as if the process had been killed just before
// it. Set is atomic in the real keyrings, so a change either happens or not.
type crashingBackend struct {
	keyringstore.Backend
	left int
	dead bool
}

func (c *crashingBackend) step() error {
	if c.dead || c.left == 0 {
		c.dead = true
		return errCrash
	}
	c.left--
	return nil
}

func (c *crashingBackend) Get(service, key string) (string, error) {
	if c.dead {
		return "", errCrash
	}
	return c.Backend.Get(service, key)
}

func (c *crashingBackend) Set(service, key, value string) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.Backend.Set(service, key, value)
}

func (c *crashingBackend) Delete(service, key string) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.Backend.Delete(service, key)
}

// A crash before any keyring change of Add, Delete or Rename leaves either
// the old or the new set of tokens, and the next change removes whatever the
// crash left behind.
func TestCrashLeavesOldOrNewSet(t *testing.T) {
	old := []string{"a", "b", "c"}
	ops := []struct {
		name string
		do   func(s *keyringstore.Store, ids []string) error
		want []string
	}{
		{"add", func(s *keyringstore.Store, _ []string) error { _, err := s.Add(testToken("d")); return err }, []string{"a", "b", "c", "d"}},
		{"delete", func(s *keyringstore.Store, ids []string) error { return s.Delete(ids[1]) }, []string{"a", "c"}},
		{"rename", func(s *keyringstore.Store, ids []string) error { return s.Rename(ids[0], "z") }, []string{"z", "b", "c"}},
	}
	for _, op := range ops {
		for crashAt := 0; ; crashAt++ {
			mem := &keyringstore.MemoryBackend{}
			cfg := keyringstore.Config{Service: "crash", Backend: mem, LockPath: filepath.Join(t.TempDir(), "lock")}
			s, _ := keyringstore.New(cfg)
			var ids []string
			for _, l := range old {
				e, err := s.Add(testToken(l))
				must(t, err)
				ids = append(ids, e.ID)
			}
			crashing := &crashingBackend{Backend: mem, left: crashAt}
			cfg.Backend = crashing
			dying, _ := keyringstore.New(cfg)
			err := op.do(dying, ids)
			if err != nil && !errors.Is(err, errCrash) {
				t.Fatalf("%s, crash after %d changes: %v", op.name, crashAt, err)
			}

			// "Restart": a fresh store on what the keyring holds now.
			cfg.Backend = mem
			s, _ = keyringstore.New(cfg)
			got := labels(t, s)
			if !reflect.DeepEqual(got, old) && !reflect.DeepEqual(got, op.want) {
				t.Errorf("%s, crash after %d changes: the store lists %v, want %v or %v", op.name, crashAt, got, old, op.want)
			}
			if err == nil && !reflect.DeepEqual(got, op.want) {
				t.Errorf("%s succeeded but the store lists %v", op.name, got)
			}
			// The next change cleans up: one index plus one entry per token.
			_, addErr := s.Add(testToken(fmt.Sprintf("after%d", crashAt)))
			must(t, addErr)
			if n := len(labels(t, s)); mem.Len() != 1+n {
				t.Errorf("%s, crash after %d changes: %d keyring entries left for %d tokens", op.name, crashAt, mem.Len(), n)
			}
			if err == nil {
				break // the operation completed: every crash point has been tried
			}
		}
	}
}

// lockFile holds the store's lock as another process would.
func lockFile(t *testing.T, path string) (unlock func()) {
	t.Helper()
	fl := flock.New(path)
	ok, err := fl.TryLock()
	if err != nil || !ok {
		t.Fatalf("lock %s: %v", path, err)
	}
	return func() { _ = fl.Unlock() }
}
