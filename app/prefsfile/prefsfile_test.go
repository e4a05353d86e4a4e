package prefsfile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/app/prefsfile"
)

// TestReadFile: Fyne's JSON object is read as it is (its numbers are
// float64, which policy.Values reads as whole numbers); no file is no
// preferences; a damaged file is an error naming it.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string // content "" writes no file
		wantSecs      int
		wantSet       bool
		errHas        string
	}{
		{"none", "", 0, false, ""},
		{"saved", `{"clipboardSeconds":45,"language":"it"}` + "\n", 45, true, ""},
		{"damaged", `{"clipboardSeconds":4`, 0, false, "read the preferences " + filepath.Join(dir, "damaged")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if tc.content != "" {
				if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			v, err := prefsfile.ReadFile(path)
			if (err != nil) != (tc.errHas != "") || !strings.Contains(fmt.Sprint(err), tc.errHas) {
				t.Fatalf("error %v, want one with %q", err, tc.errHas)
			}
			if n, ok := v.Int("clipboardSeconds"); n != tc.wantSecs || ok != tc.wantSet {
				t.Errorf("clipboardSeconds %d, %v; want %d, %v", n, ok, tc.wantSecs, tc.wantSet)
			}
		})
	}
}
