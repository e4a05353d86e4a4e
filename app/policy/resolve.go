package policy

import "slices"

// Source is where a setting's effective value came from.
type Source string

// The sources, from the strongest.
const (
	FromPolicy  Source = "policy"
	FromUser    Source = "user"
	FromDefault Source = "default"
)

// The user's preferences, as Settings stores them (Fyne preferences).
const (
	PrefEnrolURL         = "enrolURL"
	PrefLanguage         = "language"
	PrefClipboardSeconds = "clipboardSeconds"
	PrefHotkeys          = "hotkeys"
	PrefHotkeyEnter      = "hotkeyEnter"
	PrefStartMinimised   = "startMinimised"
)

// The defaults of a user who chose nothing, under no policy.
const (
	DefaultClipboardSeconds = 30
	DefaultHotkeys          = "ctrl+alt"
)

// HotkeySets are the names PrefHotkeys takes; "off" turns the hotkeys off.
var HotkeySets = []string{"ctrl+alt", "ctrl+shift", "super", "off"}

// User is the user's own choices: each method says whether key holds a
// value of its type, and which.
type User interface {
	String(key string) (string, bool)
	Int(key string) (int, bool)
	Bool(key string) (bool, bool)
}

// Value is a setting's effective value and where it came from.
type Value[T any] struct {
	Value  T      `json:"value"`
	Source Source `json:"source"`
}

// Fixed says that a policy set the value, so the user cannot change it.
func (v Value[T]) Fixed() bool { return v.Source == FromPolicy }

// Settings are every setting's effective value, in the order `softtoken
// settings` tells them.
type Settings struct {
	EnrolURL              Value[string] `json:"EnrolURL"`
	Language              Value[string] `json:"Language"`
	ClipboardClearSeconds Value[int]    `json:"ClipboardClearSeconds"`
	AutoType              Value[bool]   `json:"AutoType"`
	Hotkeys               Value[string] `json:"Hotkeys"`
	HotkeyEnter           Value[bool]   `json:"HotkeyEnter"`
	StartMinimised        Value[bool]   `json:"StartMinimised"`
}

// Resolve gives each setting's effective value: the policy's if p sets
// it, else the user's if u holds a usable one, else the default.
// defaultEnrolURL is the enrol URL of a user who has none
// ($SOFTTOKEN_ENROL_URL in the app). AutoType off by policy turns the
// hotkeys off, by policy too.
func Resolve(p Policy, u User, defaultEnrolURL string) Settings {
	var s Settings
	s.EnrolURL = pick(p.EnrolURL, u.String, PrefEnrolURL, nil, defaultEnrolURL)
	s.Language = pick(p.Language, u.String, PrefLanguage, func(l string) bool { return slices.Contains(Languages, l) }, "")
	s.ClipboardClearSeconds = pick(p.ClipboardClearSeconds, u.Int, PrefClipboardSeconds, func(n int) bool {
		return n >= MinClipboardSeconds && n <= MaxClipboardSeconds
	}, DefaultClipboardSeconds)
	s.AutoType = Value[bool]{Value: true, Source: FromDefault}
	if p.AutoType != nil {
		s.AutoType = Value[bool]{Value: *p.AutoType, Source: FromPolicy}
	}
	var off *string
	if !s.AutoType.Value {
		off = new("off")
	}
	s.Hotkeys = pick(off, u.String, PrefHotkeys, func(h string) bool { return slices.Contains(HotkeySets, h) }, DefaultHotkeys)
	s.HotkeyEnter = pick(nil, u.Bool, PrefHotkeyEnter, nil, false)
	s.StartMinimised = pick(nil, u.Bool, PrefStartMinimised, nil, false)
	return s
}

// pick is one setting's value: the policy's (when set), the user's under
// key (when it holds one that ok accepts; ok nil accepts any), or def.
func pick[T any](policy *T, user func(string) (T, bool), key string, ok func(T) bool, def T) Value[T] {
	if policy != nil {
		return Value[T]{Value: *policy, Source: FromPolicy}
	}
	if v, set := user(key); set && (ok == nil || ok(v)) {
		return Value[T]{Value: v, Source: FromUser}
	}
	return Value[T]{Value: def, Source: FromDefault}
}

// Values are preferences read from Fyne's preferences file (a JSON
// object: numbers are float64): a User.
type Values map[string]any

// String is the string under key, if any.
func (v Values) String(key string) (string, bool) {
	s, ok := v[key].(string)
	return s, ok
}

// Int is the whole number under key, if any.
func (v Values) Int(key string) (int, bool) {
	switch n := v[key].(type) {
	case int:
		return n, true
	case float64:
		if n == float64(int(n)) {
			return int(n), true
		}
	}
	return 0, false
}

// Bool is the boolean under key, if any.
func (v Values) Bool(key string) (bool, bool) {
	b, ok := v[key].(bool)
	return b, ok
}
