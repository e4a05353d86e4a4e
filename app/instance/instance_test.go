package instance_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/softtoken/softtoken/app/instance"
)

func TestOneInstance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "softtoken-test.sock")
	var shown atomic.Int32
	release, err := instance.Acquire(path, func() { shown.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode: %v %v", fi.Mode().Perm(), err)
	}
	// A second launch is told to go, and the first is asked to show itself.
	if _, err := instance.Acquire(path, func() {}); !errors.Is(err, instance.ErrRunning) {
		t.Fatalf("second launch: %v", err)
	}
	if shown.Load() != 1 {
		t.Errorf("the first instance was asked to show %d times, want 1", shown.Load())
	}
	// After the first quits, a new launch becomes the instance.
	release()
	again, err := instance.Acquire(path, func() {})
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}

func TestStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stale.sock")
	// A socket file nobody listens on, as a crashed instance leaves it.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	release, err := instance.Acquire(path, func() {})
	if err != nil {
		t.Fatalf("with a stale socket: %v", err)
	}
	release()
}
