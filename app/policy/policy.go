// Package policy reads what an organisation's administrator set for
// softtoken (Group Policy in the Windows registry, /etc/softtoken/policy.json
// elsewhere) and resolves every setting to its effective value and where
// that came from: the policy, the user's own choice in Settings (Fyne
// preferences), or the default. A policy value always wins over the user's.
//
// A bad policy never stops the app: each bad value is named in a warning
// (which file or registry key, which value, what is wrong) and left out, so
// that setting falls back to the user's choice or the default. The
// documentation is docs/policy.md.
package policy

import (
	"fmt"
	"strings"

	"github.com/softtoken/softtoken/enrolclient"
)

// Key is the Windows registry key of the policies, under
// HKEY_LOCAL_MACHINE (the computer's, which win) and HKEY_CURRENT_USER (the
// user's); docs/policy/softtoken.admx defines them there.
const Key = `SOFTWARE\Policies\softtoken`

// The policies' names: registry value names under SOFTWARE\Policies\softtoken,
// keys of policy.json, and the names `softtoken settings` prints.
const (
	NameEnrolURL              = "EnrolURL"
	NameLanguage              = "Language"
	NameClipboardClearSeconds = "ClipboardClearSeconds"
	NameAutoType              = "AutoType"
)

// Names are the policies softtoken reads, in the order they are told.
var Names = []string{NameEnrolURL, NameLanguage, NameClipboardClearSeconds, NameAutoType}

// The bounds of ClipboardClearSeconds, as policy and as the user's setting.
const (
	MinClipboardSeconds = 5
	MaxClipboardSeconds = 600
)

// Languages are the values Language may take: English, Italian, or "" for
// the system's language.
var Languages = []string{"", "en", "it"}

// Policy is what the administrator set; a nil field is not set.
type Policy struct {
	// EnrolURL is the enrol URL, cleaned up (enrolclient.URLs): it fills
	// the Add dialog and cannot be changed there or in Settings.
	EnrolURL *string
	// Language is "en", "it", or "" for the system's language.
	Language *string
	// ClipboardClearSeconds is how long a copied passcode stays on the
	// clipboard, MinClipboardSeconds to MaxClipboardSeconds.
	ClipboardClearSeconds *int
	// AutoType false turns the hotkeys that type passcodes off, and
	// `softtoken type` with them; true leaves them to the user.
	AutoType *bool
}

// Warning is a policy value left out: where it was read (a file or a
// registry key), which value, and what is wrong with it.
type Warning struct {
	Where, Name, Problem string
}

func (w *Warning) Error() string {
	if w.Name == "" {
		return fmt.Sprintf("policy %s: %s; softtoken ignores it", w.Where, w.Problem)
	}
	return fmt.Sprintf("policy %s: %s: %s; softtoken ignores this value", w.Where, w.Name, w.Problem)
}

// raw is one policy source's values before they are checked: strings for
// EnrolURL and Language, integers for the two others.
type raw struct {
	where   string
	strings map[string]string
	ints    map[string]int64
}

// set puts the checked values of r into p, where p has none yet (the
// first source read wins), and returns a warning for each bad one.
func (r raw) set(p *Policy) []error {
	var warns []error
	bad := func(name, format string, args ...any) {
		warns = append(warns, &Warning{Where: r.where, Name: name, Problem: fmt.Sprintf(format, args...)})
	}
	if v, ok := r.strings[NameEnrolURL]; ok && p.EnrolURL == nil && strings.TrimSpace(v) != "" {
		if clean, _, err := enrolclient.URLs(v); err != nil {
			bad(NameEnrolURL, "%q is not an enrol URL (%v)", v, err)
		} else {
			p.EnrolURL = &clean
		}
	}
	if v, ok := r.strings[NameLanguage]; ok && p.Language == nil {
		if l := strings.ToLower(strings.TrimSpace(v)); validLanguage(l) {
			p.Language = &l
		} else {
			bad(NameLanguage, "%q is not a language softtoken speaks (en, it, or empty for the system's)", v)
		}
	}
	if v, ok := r.ints[NameClipboardClearSeconds]; ok && p.ClipboardClearSeconds == nil {
		if v >= MinClipboardSeconds && v <= MaxClipboardSeconds {
			n := int(v)
			p.ClipboardClearSeconds = &n
		} else {
			bad(NameClipboardClearSeconds, "%d is not from %d to %d seconds", v, MinClipboardSeconds, MaxClipboardSeconds)
		}
	}
	if v, ok := r.ints[NameAutoType]; ok && p.AutoType == nil {
		if v == 0 || v == 1 {
			on := v == 1
			p.AutoType = &on
		} else {
			bad(NameAutoType, "%d is neither 0 (off) nor 1 (left to the user)", v)
		}
	}
	return warns
}

func validLanguage(l string) bool {
	for _, ok := range Languages {
		if l == ok {
			return true
		}
	}
	return false
}
