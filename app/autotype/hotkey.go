package autotype

import (
	"fmt"
	"strings"
)

// Hotkey is a key with modifiers, such as Ctrl+Alt+1. Key is the
// character of the key on a US layout (a digit or a letter): the hotkey is
// grabbed on the physical key that types it, so that Ctrl+Alt+1 is the
// same key on a French keyboard, where "1" needs Shift.
type Hotkey struct {
	Ctrl, Alt, Shift, Super bool
	Key                     rune
}

// DefaultHotkeys are the hotkeys of tokens 1 to 6, in the window's order:
// Ctrl+Alt+1 … Ctrl+Alt+6.
func DefaultHotkeys() []Hotkey {
	keys := make([]Hotkey, 6)
	for i := range keys {
		keys[i] = Hotkey{Ctrl: true, Alt: true, Key: rune('1' + i)}
	}
	return keys
}

// String writes h as ParseHotkey reads it ("Ctrl+Alt+1").
func (h Hotkey) String() string {
	var parts []string
	for _, m := range []struct {
		on   bool
		name string
	}{{h.Ctrl, "Ctrl"}, {h.Alt, "Alt"}, {h.Shift, "Shift"}, {h.Super, "Super"}} {
		if m.on {
			parts = append(parts, m.name)
		}
	}
	return strings.Join(append(parts, strings.ToUpper(string(h.Key))), "+")
}

// ParseHotkey reads a hotkey such as "Ctrl+Alt+1" (in any case; Control,
// Win and Meta are read too). It needs at least one of Ctrl, Alt and
// Super, so that no plain key typed in another program is taken.
func ParseHotkey(s string) (Hotkey, error) {
	var h Hotkey
	parts := strings.Split(strings.TrimSpace(s), "+")
	for _, p := range parts[:len(parts)-1] {
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "ctrl", "control":
			h.Ctrl = true
		case "alt":
			h.Alt = true
		case "shift":
			h.Shift = true
		case "super", "win", "meta":
			h.Super = true
		default:
			return Hotkey{}, fmt.Errorf("hotkey %q: %q is not Ctrl, Alt, Shift or Super", s, p)
		}
	}
	key := []rune(strings.ToLower(strings.TrimSpace(parts[len(parts)-1])))
	if len(key) != 1 || !(key[0] >= '0' && key[0] <= '9' || key[0] >= 'a' && key[0] <= 'z') {
		return Hotkey{}, fmt.Errorf("hotkey %q: the key is one digit or letter", s)
	}
	h.Key = key[0]
	if !h.Ctrl && !h.Alt && !h.Super {
		return Hotkey{}, fmt.Errorf("hotkey %q: it needs Ctrl, Alt or Super, or it would take a key typed in other programs", s)
	}
	return h, nil
}
