package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/app/prefsfile"
)

// `softtoken settings` reads the preferences where the real Fyne app keeps
// them (no window is opened: the driver starts only with Run), and as
// Fyne writes them.
func TestSettingsReadFynePreferences(t *testing.T) {
	home := settledDir(t)
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	const id = "io.github.softtoken.prefstest"
	a := fyneapp.NewWithID(id)
	dir, err := prefsfile.Dir(id)
	if err != nil {
		t.Fatal(err)
	}
	if root := a.Storage().RootURI().Path(); root != dir {
		t.Fatalf("Fyne keeps the app's files in %s, prefsfile looks in %s", root, dir)
	}
	a.Preferences().SetInt(policy.PrefClipboardSeconds, 90) // Fyne saves at once
	var got policy.Settings
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		user, err := prefsfile.Read(id)
		if err != nil {
			t.Fatal(err)
		}
		got = policy.Resolve(policy.Policy{}, user, "")
		if got.ClipboardClearSeconds.Source == policy.FromUser || time.Now().After(deadline) {
			break
		}
	}
	if want := (policy.Value[int]{Value: 90, Source: policy.FromUser}); got.ClipboardClearSeconds != want {
		t.Errorf("read back %+v, want %+v", got.ClipboardClearSeconds, want)
	}
}

// settledDir is a temporary folder for the Fyne app, removed when the test
// ends once the app's own writes to it, which go on in the background
// after a preference is set, have settled (t.TempDir fails the test when
// a file appears while it removes the folder).
func settledDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "softtoken-prefs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var err error
		for range 50 {
			if err = os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("remove %s: %v", dir, err)
	})
	return dir
}
