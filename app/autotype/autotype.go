// Package autotype types a token's passcode into the window that has the
// focus, as if the trader typed it, and listens for the global hotkeys
// that ask for it (Ctrl+Alt+1 … Ctrl+Alt+6 by default): a login field
// that splits the code into six boxes takes typed digits where it refuses
// a paste. On X11 it speaks the X protocol itself (XTEST to type, a key
// grab for the hotkeys), with the keycodes the current layout gives each
// digit, so that a French AZERTY keyboard types digits as a US one does;
// on Windows it sends Unicode keys (SendInput) and registers the hotkeys
// (RegisterHotKey) (docs/window.md, "Typing the passcode").
package autotype

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/token"
)

// MinSecondsLeft is the least time a typed TOTP code must have left: a
// code closer to its end is not typed, the next period's is (the server
// accepts one step either way), so that the code does not expire between
// the typing and the trader's Enter.
const MinSecondsLeft = 3

// releaseWait is how long typing waits for the keys of a hotkey to be
// released before it releases them itself (a trader who holds Ctrl+Alt
// would otherwise type Ctrl+Alt+digits).
const releaseWait = 2 * time.Second

// DefaultDelay is the pause between two keys typed: some login pages
// (and remote desktop clients) drop keys typed faster.
const DefaultDelay = 12 * time.Millisecond

// ErrNoDisplay: no display to type into (no X11 server, or Wayland,
// where a client may neither type into others nor grab keys).
var ErrNoDisplay = errors.New("no display to type into: typing needs an X11 session or Windows (on Wayland, use the compositor's shortcut to run softtoken type N)")

// Typer types text into the window that has the focus.
type Typer interface {
	// Type types text (digits, and "\n" for Enter), pausing delay
	// between keys, once the keys of a hotkey still held are released.
	Type(ctx context.Context, text string, delay time.Duration) error
	Close() error
}

// Passcode is the passcode of the entry e to type at now, by the rules
// the window's Copy and Next code follow: a TOTP token's by CodeToType,
// an HOTP token's next code, its counter advanced in the store first (a
// code typed is a code used).
func Passcode(st token.Store, e token.Entry, now time.Time) (string, error) {
	if e.Err != nil {
		return "", fmt.Errorf("%s: %w", e.Name(), e.Err)
	}
	if e.Token.Type == token.HOTP {
		return st.NextHOTPCode(e.ID)
	}
	return CodeToType(e.Token, now)
}

// CodeToType is the passcode of a TOTP token to type at now: the
// current period's, unless fewer than MinSecondsLeft seconds are left,
// then the next period's. HOTP tokens advance a counter and are the
// caller's (as the window's Next code is).
func CodeToType(t token.Token, now time.Time) (string, error) {
	if t.Type != token.TOTP {
		return "", errors.New("type a passcode: not a time-based token")
	}
	if t.Remaining(now) < MinSecondsLeft*time.Second {
		return t.NextCode(now)
	}
	return t.Code(now)
}
