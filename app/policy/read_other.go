//go:build !windows

package policy

import "os"

// Read reads this computer's policy: the file $SOFTTOKEN_POLICY names, or
// DefaultFile. The warnings name each value left out, and why.
func Read() (Policy, []error) {
	path := os.Getenv(FileEnv)
	if path == "" {
		path = DefaultFile
	}
	return ReadFile(path)
}
