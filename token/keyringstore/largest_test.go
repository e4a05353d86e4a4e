package keyringstore_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/token/keyringstore"
)

// The largest token the app accepts is stored and read back whole by
// every keyring, under the longest service name: gnome-keyring under
// `make test`, and Windows' Credential Manager when `make test-windows`
// runs this test's Windows build under Wine.
func TestLargestTokenStored(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			service := testService()
			service += strings.Repeat("x", keyringstore.MaxServiceBytes-len(service))
			// Not t.TempDir: under Wine the lock file cannot be removed
			// while the test runs, and its clean-up would fail the test.
			dir, err := os.MkdirTemp("", "largest-")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			s, err := keyringstore.New(keyringstore.Config{Service: service, Backend: backend, LockPath: filepath.Join(dir, "lock")})
			if err != nil {
				t.Fatal(err)
			}
			big := keyringstore.LargestToken()
			e, err := s.Add(big)
			if err != nil {
				t.Fatalf("store the largest token: %v", err)
			}
			defer s.Delete(e.ID) // before the lock's folder goes
			entries, err := s.List()
			if err != nil || len(entries) != 1 || entries[0].Err != nil {
				t.Fatalf("read back: %v %+v", err, entries)
			}
			if got := entries[0].Token; !reflect.DeepEqual(got, big) {
				t.Errorf("read back %#v, stored %#v", got, big)
			}
		})
	}
}
