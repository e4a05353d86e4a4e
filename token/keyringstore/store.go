// Package keyringstore keeps softtoken's tokens in the OS keyring (through
// github.com/zalando/go-keyring) and nowhere else: no seed ever touches a
// file. It implements [token.Store].
//
// Keyrings store single entries and have no transactions, so the store
// makes its changes atomic with an index entry that alone says which tokens
// exist (see docs/storage.md): a new token is written under a fresh key
// before the index names it, and a deleted one leaves the index before its
// entry is removed. A crash at any point leaves the old or the new set.
// A lock file serialises writers across processes.
package keyringstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/gofrs/flock"
	"github.com/zalando/go-keyring"

	"github.com/softtoken/softtoken/token"
)

// DefaultService is the keyring service name of a user's real tokens.
const DefaultService = "softtoken"

// ServiceEnv names the environment variable that overrides the service
// name, so that tests and trials never touch a user's real tokens.
const ServiceEnv = "SOFTTOKEN_KEYRING_SERVICE"

// ServiceFromEnv is the service name to use: $SOFTTOKEN_KEYRING_SERVICE, or
// DefaultService when it is unset or empty.
func ServiceFromEnv() string {
	if s := os.Getenv(ServiceEnv); s != "" {
		return s
	}
	return DefaultService
}

// ErrBusy is returned when another softtoken holds the write lock for longer
// than the lock timeout.
var ErrBusy = errors.New("another softtoken window or command is changing your tokens right now: try again in a moment")

// Config configures a Store. Its zero value means: service "softtoken", the
// OS keyring, a lock file in the user's config folder, a 10 s lock timeout.
type Config struct {
	// Service is the keyring service name; see ServiceFromEnv.
	Service string
	// Backend is the keyring; OSKeyring{} by default.
	Backend Backend
	// LockPath is the lock file that serialises writers; by default
	// <user config dir>/softtoken/<service>.lock.
	LockPath string
	// LockTimeout bounds the wait for another writer.
	LockTimeout time.Duration
}

// Store is a token.Store in the OS keyring. It holds no tokens in memory:
// every call reads the keyring, so several processes see each other's
// changes.
type Store struct {
	service     string
	backend     Backend
	lockPath    string
	lockTimeout time.Duration
}

var _ token.Store = (*Store)(nil)

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// New returns a Store for cfg. It does not touch the keyring yet, so it
// succeeds even when no keyring is running; the first call that needs the
// keyring reports that.
func New(cfg Config) (*Store, error) {
	s := &Store{service: cfg.Service, backend: cfg.Backend, lockPath: cfg.LockPath, lockTimeout: cfg.LockTimeout}
	if s.service == "" {
		s.service = DefaultService
	}
	if len(s.service) > MaxServiceBytes {
		return nil, fmt.Errorf("the keyring service name is too long (%d bytes, at most %d): set %s to a shorter one", len(s.service), MaxServiceBytes, ServiceEnv)
	}
	if s.backend == nil {
		s.backend = OSKeyring{}
	}
	if s.lockTimeout <= 0 {
		s.lockTimeout = 10 * time.Second
	}
	if s.lockPath == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("find the folder for the lock file: %w", err)
		}
		s.lockPath = filepath.Join(dir, "softtoken", unsafeFileChars.ReplaceAllString(s.service, "_")+".lock")
	}
	return s, nil
}

// Service is the keyring service name the store uses.
func (s *Store) Service() string { return s.service }

// lock takes the lock file, shared for readers or exclusive for writers, on a
// file descriptor of its own, so that it excludes other goroutines of this
// process as well as other processes.
func (s *Store) lock(exclusive bool) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(s.lockPath), 0o700); err != nil {
		return nil, fmt.Errorf("create the lock folder: %w", err)
	}
	fl := flock.New(s.lockPath, flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(context.Background(), s.lockTimeout)
	defer cancel()
	const retry = 20 * time.Millisecond
	var ok bool
	if exclusive {
		ok, err = fl.TryLockContext(ctx, retry)
	} else {
		ok, err = fl.TryRLockContext(ctx, retry)
	}
	if !ok {
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("lock %s: %w", s.lockPath, err)
		}
		return nil, ErrBusy
	}
	return func() { _ = fl.Unlock() }, nil
}

// List returns every entry in slot order; see token.Store.
func (s *Store) List() ([]token.Entry, error) {
	unlock, err := s.lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	idx, err := s.readIndex("read your tokens")
	if err != nil {
		return nil, err
	}
	return s.readEntries(idx)
}

func (s *Store) readEntries(idx index) ([]token.Entry, error) {
	entries := make([]token.Entry, 0, len(idx.Tokens))
	for i, id := range idx.Tokens {
		e := token.Entry{ID: id, Slot: i + 1}
		raw, err := s.backend.Get(s.service, tokenKeyPre+id)
		switch {
		case errors.Is(err, keyring.ErrNotFound):
			e.Err = errors.New("its keyring entry is missing (removed by another program?): delete it and enrol again")
		case err != nil:
			return nil, classify("read your tokens", err)
		default:
			e.Token, err = decodeItem(raw)
			if err != nil {
				e.Err = fmt.Errorf("its keyring entry %q cannot be read: %w; delete it and enrol again", tokenKeyPre+id, err)
			}
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// IndexError is an index entry that softtoken cannot read. The store then
// refuses every change, so that it never overwrites what may be the user's
// only list of tokens.
type IndexError struct {
	Service string
	Err     error
}

func (e *IndexError) Error() string {
	return fmt.Sprintf("the keyring entry %q of service %q that lists your tokens cannot be read (%v); "+
		"softtoken leaves it untouched: remove it with your keyring manager (e.g. Passwords and Keys) "+
		"to start afresh, or set %s to use another service name", indexKey, e.Service, e.Err, ServiceEnv)
}

func (e *IndexError) Unwrap() error { return e.Err }

func (s *Store) readIndex(op string) (index, error) {
	raw, err := s.backend.Get(s.service, indexKey)
	if errors.Is(err, keyring.ErrNotFound) {
		return index{Format: indexFormat}, nil
	}
	if err != nil {
		return index{}, classify(op, err)
	}
	idx, err := decodeIndex(raw)
	if err != nil {
		return index{}, &IndexError{Service: s.service, Err: err}
	}
	return idx, nil
}

func (s *Store) writeIndex(op string, idx index) error {
	raw, err := encodeIndex(idx)
	if err != nil {
		return err
	}
	return classify(op, s.backend.Set(s.service, indexKey, raw))
}

// beginWrite takes the write lock and reads the index, first finishing the
// clean-up that an interrupted change left behind: pending entries are
// removed, and the index is written without them.
func (s *Store) beginWrite(op string) (index, func(), error) {
	unlock, err := s.lock(true)
	if err != nil {
		return index{}, nil, err
	}
	idx, err := s.readIndex(op)
	if err == nil {
		err = s.dropPending(op, &idx)
	}
	if err != nil {
		unlock()
		return index{}, nil, err
	}
	return idx, unlock, nil
}

func (s *Store) dropPending(op string, idx *index) error {
	if len(idx.Pending) == 0 {
		return nil
	}
	for _, id := range idx.Pending {
		if err := s.backend.Delete(s.service, tokenKeyPre+id); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return classify(op, err)
		}
	}
	idx.Pending = nil
	return s.writeIndex(op, *idx)
}

// Add stores t in the next free slot; see token.Store.
func (s *Store) Add(t token.Token) (token.Entry, error) {
	const op = "add the token"
	if err := t.Validate(); err != nil {
		return token.Entry{}, fmt.Errorf("%s: %w", op, err)
	}
	raw, err := encodeItem(t)
	if err != nil {
		return token.Entry{}, fmt.Errorf("%s: %w", op, err)
	}
	idx, unlock, err := s.beginWrite(op)
	if err != nil {
		return token.Entry{}, err
	}
	defer unlock()
	if len(idx.Tokens) >= token.MaxTokens {
		return token.Entry{}, token.ErrFull
	}
	if err := s.checkLabelFree(idx, "", t.Label); err != nil {
		return token.Entry{}, err
	}
	id, err := newID()
	if err != nil {
		return token.Entry{}, err
	}
	// 1. Announce the new entry as pending, so a crash after step 2 leaves
	// nothing behind that the next writer does not remove.
	idx.Pending = []string{id}
	if err := s.writeIndex(op, idx); err != nil {
		return token.Entry{}, err
	}
	// 2. Write the entry under its fresh key: the set is still the old one.
	if err := s.backend.Set(s.service, tokenKeyPre+id, raw); err != nil {
		return token.Entry{}, classify(op, err)
	}
	// 3. Commit: one atomic write of the index makes the token part of the set.
	idx.Tokens = append(idx.Tokens, id)
	idx.Pending = nil
	if err := s.writeIndex(op, idx); err != nil {
		return token.Entry{}, err
	}
	return token.Entry{ID: id, Slot: len(idx.Tokens), Token: t}, nil
}

func (s *Store) checkLabelFree(idx index, exceptID, label string) error {
	entries, err := s.readEntries(idx)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.ID != exceptID && e.Err == nil && e.Token.Label == label {
			return token.ErrDuplicateLabel
		}
	}
	return nil
}

// Delete removes the entry with this ID; see token.Store.
func (s *Store) Delete(id string) error {
	const op = "delete the token"
	idx, unlock, err := s.beginWrite(op)
	if err != nil {
		return err
	}
	defer unlock()
	i := slices.Index(idx.Tokens, id)
	if i < 0 {
		return token.ErrNotFound
	}
	// 1. Commit: the index no longer names the token, and lists its entry
	// as pending so that it is removed even if we crash before step 2.
	idx.Tokens = slices.Delete(idx.Tokens, i, i+1)
	idx.Pending = []string{id}
	if err := s.writeIndex(op, idx); err != nil {
		return err
	}
	// 2. Remove the entry and forget it. A failure here only postpones the
	// clean-up to the next change; the token is gone for the user already.
	return s.dropPending(op, &idx)
}

// Rename gives the token with this ID a new label; see token.Store.
func (s *Store) Rename(id, label string) error {
	if err := token.ValidateLabel(label); err != nil {
		return fmt.Errorf("rename the token: %w", err)
	}
	return s.update("rename the token", id, func(idx index, t *token.Token) error {
		if err := s.checkLabelFree(idx, id, label); err != nil {
			return err
		}
		t.Label = label
		return nil
	})
}

// Replace puts t in place of the token with this ID, in its slot and
// under its label (t's own label is ignored), in one keyring write:
// re-enrolment replaces a token that stopped working without moving it.
func (s *Store) Replace(id string, t token.Token) (token.Entry, error) {
	var entry token.Entry
	err := s.update("replace the token", id, func(idx index, cur *token.Token) error {
		t.Label = cur.Label
		if err := t.Validate(); err != nil {
			return fmt.Errorf("replace the token: %w", err)
		}
		*cur = t
		entry = token.Entry{ID: id, Slot: slices.Index(idx.Tokens, id) + 1, Token: t}
		return nil
	})
	if err != nil {
		return token.Entry{}, err
	}
	return entry, nil
}

// NextHOTPCode returns an HOTP token's current code and advances its counter;
// see token.Store.
func (s *Store) NextHOTPCode(id string) (string, error) {
	var code string
	err := s.update("advance the token's counter", id, func(_ index, t *token.Token) error {
		if t.Type != token.HOTP {
			return fmt.Errorf("%q is a time-based token, not a counter-based one", t.Label)
		}
		if t.Counter == math.MaxUint64 {
			// Its last code is spent: counting on would wrap to 0 and show
			// codes already used.
			return fmt.Errorf("%q has used all its codes: enrol it again", t.Label)
		}
		var err error
		if code, err = t.Code(time.Time{}); err != nil {
			return err
		}
		t.Counter++
		return nil
	})
	if err != nil {
		return "", err
	}
	return code, nil
}

// update rewrites one token entry in place under the write lock. One Set of
// one entry is atomic, so no index change is needed.
func (s *Store) update(op, id string, change func(index, *token.Token) error) error {
	idx, unlock, err := s.beginWrite(op)
	if err != nil {
		return err
	}
	defer unlock()
	if !slices.Contains(idx.Tokens, id) {
		return token.ErrNotFound
	}
	raw, err := s.backend.Get(s.service, tokenKeyPre+id)
	if errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("%s: its keyring entry is missing: delete it and enrol again", op)
	}
	if err != nil {
		return classify(op, err)
	}
	t, err := decodeItem(raw)
	if err != nil {
		return fmt.Errorf("%s: its keyring entry cannot be read: %w", op, err)
	}
	if err := change(idx, &t); err != nil {
		return err
	}
	if raw, err = encodeItem(t); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return classify(op, s.backend.Set(s.service, tokenKeyPre+id, raw))
}

func newID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a token ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}
