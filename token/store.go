package token

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors a [Store] returns for outcomes the user caused and can fix.
var (
	// ErrFull is returned by Add when the store already holds MaxTokens tokens.
	ErrFull = fmt.Errorf("this soft token already holds %d tokens, the most it can hold: delete one you no longer use before adding another", MaxTokens)
	// ErrNotFound is returned when no token has the given ID or matches a query.
	ErrNotFound = errors.New("no such token")
	// ErrDuplicateLabel is returned when a token with the same name exists.
	ErrDuplicateLabel = errors.New("another token already has this name: choose a different one")
)

// Entry is one slot of a [Store]. A slot whose keyring item cannot be read
// (missing, damaged, or written by another program) is still listed, with
// Err set and Token empty, so that the user sees it and can delete it rather
// than lose track of it.
type Entry struct {
	// ID identifies the entry in the store; it does not change on rename.
	ID string
	// Slot is the entry's position, 1 to MaxTokens, in the order added.
	Slot  int
	Token Token
	// Err says why the entry could not be read; nil for a healthy entry.
	Err error
}

// Name is how the entry is shown: its label, or for an entry that could not
// be read, its slot and a note.
func (e Entry) Name() string {
	if e.Err != nil {
		return fmt.Sprintf("slot %d (unreadable)", e.Slot)
	}
	return e.Token.Label
}

// Store keeps the tokens of one installation, at most [MaxTokens]. Every
// change is atomic from the user's view: after a crash the store holds either
// the old or the new set of tokens.
type Store interface {
	// List returns the entries in slot order. An error means the store itself
	// could not be read; a single unreadable entry is reported in Entry.Err.
	List() ([]Entry, error)
	// Add stores t in the next free slot. It returns ErrFull when the store
	// is full and ErrDuplicateLabel when the label is taken, changing nothing.
	Add(t Token) (Entry, error)
	// Replace puts t in place of the token with this ID, keeping its slot
	// and label (re-enrolment: the old token no longer works).
	Replace(id string, t Token) (Entry, error)
	// Rename gives the token with this ID a new label.
	Rename(id, label string) error
	// Delete removes the token with this ID, or an unreadable entry.
	Delete(id string) error
	// NextHOTPCode returns the code at an HOTP token's counter and advances
	// the counter, which is stored before the code is returned so that no
	// code is ever shown twice.
	NextHOTPCode(id string) (string, error)
}

// Find picks the entry a user means by query, in this order: an exact label,
// the same label in other case, a slot number, then a unique part of a label
// (case-insensitive). An empty query picks the only entry there is.
func Find(entries []Entry, query string) (Entry, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		switch len(entries) {
		case 0:
			return Entry{}, fmt.Errorf("%w: there are no tokens yet", ErrNotFound)
		case 1:
			return entries[0], nil
		}
		return Entry{}, fmt.Errorf("there are %d tokens: say which one (by name or slot number)", len(entries))
	}
	for _, match := range []func(Entry) bool{
		func(e Entry) bool { return e.Err == nil && e.Token.Label == query },
		func(e Entry) bool { return e.Err == nil && strings.EqualFold(e.Token.Label, query) },
		func(e Entry) bool { return strconv.Itoa(e.Slot) == query },
	} {
		if found := filter(entries, match); len(found) == 1 {
			return found[0], nil
		}
	}
	lower := strings.ToLower(query)
	found := filter(entries, func(e Entry) bool {
		return e.Err == nil && strings.Contains(strings.ToLower(e.Token.Label), lower)
	})
	switch len(found) {
	case 0:
		return Entry{}, fmt.Errorf("%w: no token is named %q", ErrNotFound, query)
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, e := range found {
		names[i] = strconv.Quote(e.Token.Label)
	}
	return Entry{}, fmt.Errorf("%q matches %d tokens (%s): give more of the name", query, len(found), strings.Join(names, ", "))
}

func filter(entries []Entry, keep func(Entry) bool) []Entry {
	var out []Entry
	for _, e := range entries {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}
