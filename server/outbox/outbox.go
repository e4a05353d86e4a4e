// Package outbox writes messages that would otherwise leave the server
// (mails, text messages) as files in a folder, for a demo, for tests, and
// for sites that pick them up with their own tools. Each message is one
// file of mode 0600 in a folder of mode 0700: messages may hold passcodes.
// Prune removes them once they are old, so that no passcode stays on disk
// for ever (serve prunes every minute: --outbox-keep).
package outbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Write writes body to a new file in dir, named after the time, the
// recipient and a random suffix, with the extension ext (".eml"). A
// folder that others may read (made by hand, say) is made private first.
func Write(dir string, at time.Time, to, ext string, body []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("outbox: make the folder private: %w", err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := fmt.Sprintf("%s-%s-%s%s", at.UTC().Format("20060102T150405Z"), safeName(to), hex.EncodeToString(suffix), ext)
	if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

var unsafe = regexp.MustCompile(`[^A-Za-z0-9._@+-]`)

// safeName keeps a recipient from naming a path.
func safeName(s string) string { return unsafe.ReplaceAllString(s, "_") }

// written matches the names Write gives; Prune removes no other file.
var written = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9._@+-]*-[0-9a-f]{8}\.[a-z]+$`)

// Prune removes from dir the messages Write wrote that were last changed
// before before, and returns how many it removed. Any other file stays,
// and a folder that does not exist holds nothing to remove.
func Prune(dir string, before time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !written.MatchString(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(before) {
			continue // gone meanwhile, or young
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("outbox: %w", err)
		}
		n++
	}
	return n, nil
}
