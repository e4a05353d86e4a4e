package gui

import (
	"math"

	"fyne.io/fyne/v2"

	"github.com/softtoken/softtoken/app/policy"
)

// Effective is the window's effective settings: the organisation's policy
// (Config.Policy) over the user's preferences over the defaults. The
// clipboard, the Add dialog, the language and the hotkeys all follow
// them.
func (w *Window) Effective() policy.Settings {
	return policy.Resolve(w.cfg.Policy, prefsUser{w.app.Preferences()}, w.cfg.DefaultEnrolURL)
}

// prefsUser is Fyne's preferences as policy.User: Fyne tells no "is it
// set", so each lookup asks with a fallback no setting takes.
type prefsUser struct{ fyne.Preferences }

// absent is the fallback of a string lookup: no preference holds it.
const absent = "\x00absent"

func (p prefsUser) String(key string) (string, bool) {
	v := p.StringWithFallback(key, absent)
	return v, v != absent
}

func (p prefsUser) Int(key string) (int, bool) {
	v := p.IntWithFallback(key, math.MinInt)
	return v, v != math.MinInt
}

func (p prefsUser) Bool(key string) (bool, bool) {
	v := p.BoolWithFallback(key, false)
	return v, v == p.BoolWithFallback(key, true)
}
