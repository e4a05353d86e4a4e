package keyringstore

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/zalando/go-keyring"
)

// Backend is what the store needs of a keyring: one secret string per
// (service, key). Set must replace an existing value atomically, as the
// Secret Service, the macOS Keychain and the Windows Credential Manager do.
// Get and Delete return an error wrapping [keyring.ErrNotFound] for a key
// that is not there.
type Backend interface {
	Get(service, key string) (string, error)
	Set(service, key, value string) error
	Delete(service, key string) error
}

// OSKeyring is the operating system's keyring through go-keyring: the
// Secret Service on Linux (GNOME Keyring, KWallet), the Keychain on macOS and
// the Credential Manager on Windows.
type OSKeyring struct{}

// Get reads one secret from the OS keyring.
func (OSKeyring) Get(service, key string) (string, error) { return keyring.Get(service, key) }

// Set writes one secret to the OS keyring, replacing any old value.
func (OSKeyring) Set(service, key, value string) error { return keyring.Set(service, key, value) }

// Delete removes one secret from the OS keyring.
func (OSKeyring) Delete(service, key string) error { return keyring.Delete(service, key) }

// MemoryBackend is a Backend in memory, for tests of the packages above the
// store. Its zero value is empty and ready to use; it is safe for concurrent
// use.
type MemoryBackend struct {
	mu    sync.Mutex
	items map[string]string
}

// Get reads one value.
func (m *MemoryBackend) Get(service, key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[service+"\x00"+key]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

// Set writes one value.
func (m *MemoryBackend) Set(service, key, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil {
		m.items = map[string]string{}
	}
	m.items[service+"\x00"+key] = value
	return nil
}

// Delete removes one value.
func (m *MemoryBackend) Delete(service, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := service + "\x00" + key
	if _, ok := m.items[k]; !ok {
		return keyring.ErrNotFound
	}
	delete(m.items, k)
	return nil
}

// Len is how many values the backend holds, for tests that check nothing
// was left behind.
func (m *MemoryBackend) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// Reasons the keyring itself (not one of its entries) failed; test them with
// errors.Is on any error of this package.
var (
	// ErrUnavailable: no keyring service answers in this desktop session.
	ErrUnavailable = errors.New("the system keyring is not available")
	// ErrLocked: the keyring is there but locked, or the user refused to unlock it.
	ErrLocked = errors.New("the system keyring is locked")
	// ErrTooBig: the keyring refused an entry for its size.
	ErrTooBig = errors.New("the entry is too big for the system keyring")
)

// KeyringError is a failure of the OS keyring, with a message that tells a
// trader what happened and what to do about it.
type KeyringError struct {
	// Kind is ErrUnavailable, ErrLocked, ErrTooBig or nil for another failure.
	Kind error
	// Op is what the store was doing, e.g. "read your tokens".
	Op  string
	Err error
}

func (e *KeyringError) Error() string {
	switch e.Kind {
	case ErrUnavailable:
		return "cannot " + e.Op + ": no system keyring is running in this desktop session " +
			"(softtoken keeps tokens in GNOME Keyring, KWallet or another Secret Service keyring); " +
			"log in to a desktop session that has one, or start one with gnome-keyring-daemon, then try again"
	case ErrLocked:
		return "cannot " + e.Op + ": the system keyring is locked; " +
			"unlock it (log out and in again, or open Passwords and Keys and unlock the Login keyring), then try again"
	case ErrTooBig:
		return "cannot " + e.Op + ": the system keyring refused the entry as too big; use a shorter name"
	}
	return fmt.Sprintf("cannot %s: the system keyring failed: %v", e.Op, e.Err)
}

// Unwrap gives errors.Is both the kind and the underlying error.
func (e *KeyringError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// classify turns a backend error into a KeyringError. Not-found errors pass
// through unchanged, since for the store they are an answer, not a failure.
func classify(op string, err error) error {
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	return &KeyringError{Kind: kindOf(err), Op: op, Err: err}
}

// kindOf recognises the failures go-keyring reports only as text: D-Bus
// connection errors when no session bus or no Secret Service exists, and
// unlock failures of a locked collection.
func kindOf(err error) error {
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return ErrTooBig
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"locked", "unlock", "dismissed", "prompt"} {
		if strings.Contains(msg, s) {
			return ErrLocked
		}
	}
	for _, s := range []string{
		"dial unix", "connect:", "no such file or directory", "session bus",
		"dbus_session_bus_address", "serviceunknown", "was not provided by any",
		"org.freedesktop.secrets", "no such interface", "connection refused",
		"exec: \"dbus-launch\"",
	} {
		if strings.Contains(msg, s) {
			return ErrUnavailable
		}
	}
	return nil
}
