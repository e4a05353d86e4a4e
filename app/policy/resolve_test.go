package policy_test

import (
	"testing"

	"github.com/softtoken/softtoken/app/policy"
)

// TestResolve: a policy's value wins over the user's, the user's over the
// default; a user's value out of bounds or of the wrong type counts as
// none; AutoType 0 turns the hotkeys off, by policy.
func TestResolve(t *testing.T) {
	it, url, secs, off, on := "it", "https://2fa.bank.example/secenrol/", 120, false, true
	user := policy.Values{"enrolURL": "https://mine.example/secenrol/", "language": "en", "clipboardSeconds": float64(60),
		"hotkeys": "super", "hotkeyEnter": true, "startMinimised": true}
	tests := []struct {
		name string
		pol  policy.Policy
		user policy.Values
		want policy.Settings
	}{
		{"defaults", policy.Policy{}, policy.Values{}, policy.Settings{
			EnrolURL: v("https://default.example/secenrol/", policy.FromDefault), Language: v("", policy.FromDefault),
			ClipboardClearSeconds: v(30, policy.FromDefault), AutoType: v(true, policy.FromDefault),
			Hotkeys: v("ctrl+alt", policy.FromDefault), HotkeyEnter: v(false, policy.FromDefault), StartMinimised: v(false, policy.FromDefault)}},
		{"user", policy.Policy{}, user, policy.Settings{
			EnrolURL: v("https://mine.example/secenrol/", policy.FromUser), Language: v("en", policy.FromUser),
			ClipboardClearSeconds: v(60, policy.FromUser), AutoType: v(true, policy.FromDefault),
			Hotkeys: v("super", policy.FromUser), HotkeyEnter: v(true, policy.FromUser), StartMinimised: v(true, policy.FromUser)}},
		{"policy over user", policy.Policy{EnrolURL: &url, Language: &it, ClipboardClearSeconds: &secs, AutoType: &off}, user, policy.Settings{
			EnrolURL: v(url, policy.FromPolicy), Language: v("it", policy.FromPolicy),
			ClipboardClearSeconds: v(120, policy.FromPolicy), AutoType: v(false, policy.FromPolicy),
			Hotkeys: v("off", policy.FromPolicy), HotkeyEnter: v(true, policy.FromUser), StartMinimised: v(true, policy.FromUser)}},
		{"AutoType 1 leaves the hotkeys to the user", policy.Policy{AutoType: &on}, user, policy.Settings{
			EnrolURL: v("https://mine.example/secenrol/", policy.FromUser), Language: v("en", policy.FromUser),
			ClipboardClearSeconds: v(60, policy.FromUser), AutoType: v(true, policy.FromPolicy),
			Hotkeys: v("super", policy.FromUser), HotkeyEnter: v(true, policy.FromUser), StartMinimised: v(true, policy.FromUser)}},
		{"bad user values", policy.Policy{}, policy.Values{"language": "fr", "clipboardSeconds": float64(2), "hotkeys": "alt",
			"hotkeyEnter": "yes", "enrolURL": 7.0, "startMinimised": 1.0}, policy.Settings{
			EnrolURL: v("https://default.example/secenrol/", policy.FromDefault), Language: v("", policy.FromDefault),
			ClipboardClearSeconds: v(30, policy.FromDefault), AutoType: v(true, policy.FromDefault),
			Hotkeys: v("ctrl+alt", policy.FromDefault), HotkeyEnter: v(false, policy.FromDefault), StartMinimised: v(false, policy.FromDefault)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := policy.Resolve(tc.pol, tc.user, "https://default.example/secenrol/"); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if got := policy.Resolve(tc.pol, tc.user, ""); got.EnrolURL.Fixed() != (tc.pol.EnrolURL != nil) {
				t.Errorf("EnrolURL fixed %v with policy %v", got.EnrolURL.Fixed(), tc.pol.EnrolURL)
			}
		})
	}
}

func v[T any](value T, source policy.Source) policy.Value[T] {
	return policy.Value[T]{Value: value, Source: source}
}
