package gui_test

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/softtoken/softtoken/app/autotype"
	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/token/oneswipe"
)

const (
	policyURL = "https://2fa.bank.example/secenrol/"
	userURL   = "https://mine.example/secenrol/"
)

// userPrefs are a trader's own choices, made in Settings before the
// policy came.
func userPrefs(prefs fyne.Preferences) {
	prefs.SetString(policy.PrefEnrolURL, userURL)
	prefs.SetString(gui.PrefLanguage, gui.English)
	prefs.SetInt(gui.PrefClipboardSeconds, 60)
	prefs.SetString(gui.PrefHotkeys, "super")
}

// TestAddDialogUnderPolicy: the policy's enrol URL fills the Add dialog
// and cannot be changed, "Set by your organisation" under it, even after
// a failed enrolment, which went to that URL; without the policy the
// trader's own URL fills it, editable.
func TestAddDialogUnderPolicy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pol     policy.Policy
		wantURL string
		fixed   bool
	}{
		{"policy", policy.Policy{EnrolURL: new(policyURL)}, policyURL, true},
		{"no policy", policy.Policy{}, userURL, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent := make(chan string, 1)
			f := configuredFixture(t, func(cfg *gui.Config) {
				userPrefs(fyne.CurrentApp().Preferences())
				cfg.Policy, cfg.DefaultEnrolURL = tc.pol, "https://default.example/secenrol/"
				cfg.Begin = func(_ context.Context, p enrolclient.Params) (*enrolclient.Enrolment, error) {
					sent <- p.URL
					return nil, &enrolclient.Error{Kind: enrolclient.KindUnreachable, Msg: "cannot reach the enrolment server"}
				}
			})
			test.Tap(f.w.AddButton)
			add := f.w.Add
			checkURLField(t, add, tc.wantURL, tc.fixed, "opened")
			add.UserID.SetText("trader")
			add.Password.SetText("pw")
			add.Passcode.SetText("123456")
			test.Tap(add.EnrolButton)
			if got := <-sent; got != tc.wantURL {
				t.Errorf("enrolled at %q, want %q", got, tc.wantURL)
			}
			for deadline := time.Now().Add(5 * time.Second); add.Steps() < 1 && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			checkURLField(t, add, tc.wantURL, tc.fixed, "after a failed enrolment")
		})
	}
}

func checkURLField(t *testing.T, add *gui.AddForm, want string, fixed bool, when string) {
	t.Helper()
	if add.URL.Text != want || add.URL.Disabled() != fixed || add.URLNote.Visible() != fixed {
		t.Errorf("%s: URL %q disabled %v, note shown %v; want %q, %v, %v", when, add.URL.Text, add.URL.Disabled(), add.URLNote.Visible(), want, fixed, fixed)
	}
	if fixed && add.URLNote.Text != "Set by your organisation" {
		t.Errorf("%s: note %q", when, add.URLNote.Text)
	}
}

// TestOneSwipeForAnotherServerUnderPolicy: a One Swipe code for another
// server than the policy's is refused, and nothing can be sent.
func TestOneSwipeForAnotherServerUnderPolicy(t *testing.T) {
	a, _ := memApp(t)
	for _, tc := range []struct {
		url     string
		refused bool
	}{{"https://evil.example/secenrol/", true}, {"2fa.bank.example", false}} {
		add := gui.NewAddForm(nil, a.Preferences(), policy.Value[string]{Value: policyURL, Source: policy.FromPolicy}, nil, func() {})
		add.UseOneSwipe(oneswipe.Enrolment{Code: "ABCDEFGH", EnrolURL: tc.url, UserID: "trader", Expires: time.Now().Add(time.Minute)})
		if add.FormError.Visible() != tc.refused || add.EnrolButton.Disabled() != tc.refused {
			t.Errorf("%s: error shown %v (%q), Enrol disabled %v; want refused %v", tc.url, add.FormError.Visible(), add.FormError.Text,
				add.EnrolButton.Disabled(), tc.refused)
		}
	}
}

// TestSettingsUnderPolicy: each setting a policy sets wins over the
// trader's own (the clipboard, the language, the hotkeys), shows fixed in
// Settings, and Save keeps the trader's own choice for the day the policy
// goes.
func TestSettingsUnderPolicy(t *testing.T) {
	t.Cleanup(func() { gui.SetLanguage(gui.English) })
	keys := &keyboard{}
	f := configuredFixture(t, func(cfg *gui.Config) {
		userPrefs(fyne.CurrentApp().Preferences())
		cfg.Policy = policy.Policy{EnrolURL: new(policyURL), Language: new("it"), ClipboardClearSeconds: new(45), AutoType: new(false)}
		cfg.Typer = func() (autotype.Typer, error) { return keys, nil }
		cfg.Listen = keys.listen
		cfg.Beside = func(f func()) { f() }
	}, "alice")
	if gui.Language() != gui.Italian {
		t.Errorf("the window speaks %q, the policy says it", gui.Language())
	}
	test.Tap(f.w.Rows()[0].Copy)
	if !hasTimer(f.later, 45*time.Second) {
		t.Errorf("the clipboard is not cleared after the policy's 45 s: %v", f.later)
	}
	f.w.StartHotkeys()
	f.w.TypeSlot(1)
	if keys.typed != nil || keys.grabbed != nil {
		t.Errorf("AutoType 0, yet typed %q, grabbed %v", keys.typed, keys.grabbed)
	}
	s := f.w.SettingsForm()
	for _, fld := range []struct {
		what     string
		disabled bool
		shows    string
		want     string
	}{
		{"clipboard", s.ClipboardSeconds.Disabled(), s.ClipboardSeconds.Text, "45"},
		{"enrol URL", s.EnrolURL.Disabled(), s.EnrolURL.Text, policyURL},
		{"language", s.Language.Disabled(), s.Language.Selected, "Italiano"},
		{"hotkeys", s.Hotkeys.Disabled() && s.Enter.Disabled(), s.Hotkeys.Selected, gui.T("settings.hotkeys.off")},
	} {
		if !fld.disabled || fld.shows != fld.want {
			t.Errorf("%s: disabled %v, shows %q; want fixed at %q", fld.what, fld.disabled, fld.shows, fld.want)
		}
	}
	hints := 0
	for _, it := range s.Items() {
		if it.HintText == "Impostato dalla tua organizzazione" {
			hints++
		}
	}
	if hints != 4 {
		t.Errorf("%d fields say the organisation set them, want 4", hints)
	}
	s.StartMinimised.SetChecked(true)
	s.Save()
	prefs := fyne.CurrentApp().Preferences()
	if prefs.String(policy.PrefEnrolURL) != userURL || prefs.String(gui.PrefLanguage) != gui.English ||
		prefs.Int(gui.PrefClipboardSeconds) != 60 || prefs.String(gui.PrefHotkeys) != "super" || !prefs.Bool(gui.PrefStartMinimised) {
		t.Error("Save changed the trader's own choices under the policy, or did not save the others")
	}
}

func hasTimer(ts []timer, d time.Duration) bool {
	for _, tm := range ts {
		if tm.after == d {
			return true
		}
	}
	return false
}

// TestHotkeySetsAgree: Settings offers exactly the hotkey sets the
// resolution accepts (policy.HotkeySets), each its own choice.
func TestHotkeySetsAgree(t *testing.T) {
	a, _ := memApp(t)
	for i, name := range policy.HotkeySets {
		a.Preferences().SetString(gui.PrefHotkeys, name)
		s := gui.NewSettings(a.Preferences(), "", policy.Policy{})
		if got := s.Hotkeys.SelectedIndex(); got != i || len(s.Hotkeys.Options) != len(policy.HotkeySets) {
			t.Errorf("hotkeys %q: Settings selects %d of %d, want %d of %d", name, got, len(s.Hotkeys.Options), i, len(policy.HotkeySets))
		}
	}
}
