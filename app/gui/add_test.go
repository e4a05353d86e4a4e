package gui_test

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token/keyringstore"
)

// addWindow is the window with a memory store, enrolling against srv.
func addWindow(t *testing.T, srv *servertest.Server) (*gui.Window, *keyringstore.Store) {
	t.Helper()
	a, store := memApp(t)
	client := &enrolclient.Client{Store: store, Now: srv.Clock.Now}
	w := gui.New(a, gui.Config{Store: store, Now: srv.Clock.Now, Enrol: client.Enrol, DefaultEnrolURL: srv.URL})
	return w, store
}

// waitFor polls cond until it holds; the enrolment runs in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAddDialogEnrols(t *testing.T) {
	srv := servertest.New(t)
	initial := srv.AddUser("trader", "trader-pass")
	w, store := addWindow(t, srv)
	test.Tap(w.AddButton)
	f := w.Add
	if f.URL.Text != srv.URL {
		t.Errorf("the enrol URL is pre-filled with %q, want %q", f.URL.Text, srv.URL)
	}
	test.Type(f.UserID, "trader")
	test.Type(f.Password, "trader-pass")
	test.Type(f.Passcode, initial)
	test.Tap(f.EnrolButton)
	waitFor(t, "the security questions", f.Asking)
	if f.EnrolButton.Text != "Continue" || len(f.Question1.Options) < 2 {
		t.Fatalf("questions step: button %q, %d questions", f.EnrolButton.Text, len(f.Question1.Options))
	}
	// The same question twice is refused in the form.
	f.Question1.SetSelected(f.Question1.Options[0])
	f.Question2.SetSelected(f.Question1.Options[0])
	test.Type(f.Answer1, "Springfield")
	test.Type(f.Answer2, "Shelbyville")
	test.Tap(f.EnrolButton)
	if !f.AnswersError.Visible() || !strings.Contains(f.AnswersError.Text, "different") {
		t.Errorf("same question twice: %q", f.AnswersError.Text)
	}
	f.Question2.SetSelected(f.Question1.Options[3])
	test.Tap(f.EnrolButton)
	waitFor(t, "the enrolment", func() bool { return f.Runs() == 1 })

	entries, _ := store.List()
	if len(entries) != 1 || entries[0].Token.Account != "trader" {
		t.Fatalf("stored: %+v", entries)
	}
	if got := labelTexts(w); !strings.Contains(got, "trader (127.0.0.1)") {
		t.Errorf("the window shows %q", got)
	}
	srv.Clock.Advance(30 * time.Second)
	code, _ := entries[0].Token.Code(srv.Clock.Now())
	if got := srv.Verify("trader", "trader-pass", code); got != wire.ResultOK {
		t.Errorf("the enrolled token's code: %s", got)
	}
}

func TestAddDialogShowsWrongPasscodeInline(t *testing.T) {
	srv := servertest.New(t)
	srv.AddUser("trader", "trader-pass")
	w, store := addWindow(t, srv)
	test.Tap(w.AddButton)
	f := w.Add
	test.Type(f.UserID, "trader")
	test.Type(f.Password, "trader-pass")
	test.Type(f.Passcode, "000000")
	test.Tap(f.EnrolButton)
	waitFor(t, "the enrolment", func() bool { return f.Runs() == 1 })
	if !f.PasscodeError.Visible() || !strings.Contains(f.PasscodeError.Text, "passcode is wrong") {
		t.Errorf("passcode error: visible %v, %q", f.PasscodeError.Visible(), f.PasscodeError.Text)
	}
	for _, l := range []string{f.URLError.Text, f.UserIDError.Text, f.PasswordError.Text, f.FormError.Text} {
		if l != "" {
			t.Errorf("another field shows an error: %q", l)
		}
	}
	if entries, _ := store.List(); len(entries) != 0 {
		t.Error("a failed enrolment stored a token")
	}
	if f.Passcode.Disabled() || f.EnrolButton.Disabled() {
		t.Error("the form stays disabled after the error")
	}
}

// A dropped One Swipe enrolment code: confirmed, then enrolled without a
// password or passcode; the token's codes verify.
func TestOneSwipeEnrolment(t *testing.T) {
	srv := servertest.New(t)
	srv.AddUser("olive", "olive-pass")
	w, store := addWindow(t, srv)
	var asked string
	w.Confirm = func(_, msg string, answer func(bool)) { asked = msg; answer(true) }
	w.Dropped(fyne.NewPos(0, 0), []fyne.URI{qrFile(t, srv.OneSwipe("olive"))})
	if !strings.Contains(asked, "Account: olive") || !strings.Contains(asked, "Server: "+srv.URL) {
		t.Fatalf("confirmation %q", asked)
	}
	f := w.Add
	if f == nil || f.Password.Visible() || f.Passcode.Visible() || !f.URL.Disabled() || f.UserID.Text != "olive" {
		t.Fatal("the Add dialog is not set up for One Swipe")
	}
	waitFor(t, "the security questions", f.Asking)
	f.Question1.SetSelectedIndex(0)
	f.Question2.SetSelectedIndex(1)
	test.Type(f.Answer1, "Springfield")
	test.Type(f.Answer2, "Shelbyville")
	test.Tap(f.EnrolButton)
	waitFor(t, "the enrolment", func() bool { return f.Runs() == 1 })
	if f.FormError.Visible() {
		t.Fatalf("enrolment failed: %s", f.FormError.Text)
	}
	entries, _ := store.List()
	if len(entries) != 1 || entries[0].Token.Account != "olive" {
		t.Fatalf("stored %v", entries)
	}
	srv.Clock.Advance(30 * time.Second)
	code, _ := entries[0].Token.Code(srv.Clock.Now())
	if got := srv.Verify("olive", "olive-pass", code); got != wire.ResultOK {
		t.Errorf("verifylogin with the One Swipe token: %s", got)
	}
}
