// Package prefsfile reads the app's Fyne preferences without Fyne: the
// command line (`softtoken settings`) tells the user's settings without
// opening a window, and builds without cgo. Fyne keeps an app's
// preferences as one JSON object in preferences.json, in a folder named
// by the app's ID under its configuration folder (fyne.io/fyne/v2/app,
// storageRoot and internal/app.RootConfigDir): the package mirrors that
// path, and the app's tests check it against Fyne's own.
package prefsfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/softtoken/softtoken/app/policy"
)

// Dir is the folder where Fyne keeps the preferences of the app with ID
// appID: %APPDATA%\fyne\ID on Windows (Fyne takes the home folder's
// AppData\Roaming), ~/Library/Preferences/fyne/ID on macOS, and
// $XDG_CONFIG_HOME/fyne/ID (~/.config/fyne/ID) elsewhere.
func Dir(appID string) (string, error) {
	var root string
	switch runtime.GOOS {
	case "windows", "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("the preferences folder: %w", err)
		}
		root = filepath.Join(home, "Library", "Preferences")
		if runtime.GOOS == "windows" {
			root = filepath.Join(home, "AppData", "Roaming")
		}
	default:
		dir, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("the preferences folder: %w", err)
		}
		root = dir
	}
	return filepath.Join(root, "fyne", appID), nil
}

// Read reads the preferences of the app with ID appID; no file yet (no
// setting saved) is no preferences.
func Read(appID string) (policy.Values, error) {
	dir, err := Dir(appID)
	if err != nil {
		return nil, err
	}
	return ReadFile(filepath.Join(dir, "preferences.json"))
}

// ReadFile reads a Fyne preferences file.
func ReadFile(path string) (policy.Values, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return policy.Values{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the preferences: %w", err)
	}
	v := policy.Values{}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("read the preferences %s: %w", path, err)
	}
	return v, nil
}
