// Package outbox writes messages that would otherwise leave the server
// (mails, text messages) as files in a folder, for a demo, for tests, and
// for sites that pick them up with their own tools. Each message is one
// file of mode 0600 in a folder of mode 0700: messages may hold passcodes.
package outbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Write writes body to a new file in dir, named after the time, the
// recipient and a random suffix, with the extension ext (".eml").
func Write(dir string, at time.Time, to, ext string, body []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("outbox: %w", err)
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
