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
	"github.com/softtoken/softtoken/token/keyringstore"
)

// verified is what the server's verifylogin answers for a right password
// and code (wire.ResultOK; app/ does not import server/wire).
const verified = "OK"

// addWindow is the window with a memory store, enrolling against srv.
func addWindow(t *testing.T, srv *servertest.Server) (*gui.Window, *keyringstore.Store) {
	t.Helper()
	a, store := memApp(t)
	client := &enrolclient.Client{Store: store, Now: srv.Clock.Now}
	w := gui.New(a, gui.Config{Store: store, Now: srv.Clock.Now, Begin: client.Begin, DefaultEnrolURL: srv.URL})
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

// steps is a condition for waitFor: the form shows the outcome of its
// n-th background step.
func steps(f *gui.AddForm, n int) func() bool {
	return func() bool { return f.Steps() >= n }
}

// answer chooses the first two questions, types the answers, and presses
// Continue.
func answer(f *gui.AddForm, a1, a2 string) {
	f.Question1.SetSelectedIndex(0)
	f.Question2.SetSelectedIndex(1)
	f.Answer1.SetText(a1)
	f.Answer2.SetText(a2)
	test.Tap(f.EnrolButton)
}

// begin opens the Add dialog and enrols as userID with the initial
// passcode, up to the security questions.
func begin(t *testing.T, w *gui.Window, userID, pw, initial string) *gui.AddForm {
	t.Helper()
	test.Tap(w.AddButton)
	f := w.Add
	test.Type(f.UserID, userID)
	test.Type(f.Password, pw)
	test.Type(f.Passcode, initial)
	test.Tap(f.EnrolButton)
	waitFor(t, "the security questions", steps(f, 1))
	if !f.Asking() {
		t.Fatalf("no questions: %q %q", f.FormError.Text, f.PasscodeError.Text)
	}
	return f
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
	waitFor(t, "the security questions", steps(f, 1))
	if !f.Asking() || f.EnrolButton.Text != "Continue" || len(f.Question1.Options) < 2 {
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
	waitFor(t, "the enrolment", steps(f, 2))

	entries, _ := store.List()
	if len(entries) != 1 || entries[0].Token.Account != "trader" {
		t.Fatalf("stored: %+v", entries)
	}
	if got := labelTexts(w); !strings.Contains(got, "trader (127.0.0.1)") {
		t.Errorf("the window shows %q", got)
	}
	srv.Clock.Advance(30 * time.Second)
	code, _ := entries[0].Token.Code(srv.Clock.Now())
	if got := srv.Verify("trader", "trader-pass", code); got != verified {
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
	waitFor(t, "the enrolment", steps(f, 1))
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
	waitFor(t, "the security questions", steps(f, 1))
	answer(f, "Springfield", "Shelbyville")
	waitFor(t, "the enrolment", steps(f, 2))
	if f.FormError.Visible() {
		t.Fatalf("enrolment failed: %s", f.FormError.Text)
	}
	entries, _ := store.List()
	if len(entries) != 1 || entries[0].Token.Account != "olive" {
		t.Fatalf("stored %v", entries)
	}
	srv.Clock.Advance(30 * time.Second)
	code, _ := entries[0].Token.Code(srv.Clock.Now())
	if got := srv.Verify("olive", "olive-pass", code); got != verified {
		t.Errorf("verifylogin with the One Swipe token: %s", got)
	}
}

// Answers the server refuses show under the questions, which stay for a
// second try; nothing is stored until the server accepts them.
func TestAddDialogAnswersRefusedThenAccepted(t *testing.T) {
	srv := servertest.New(t)
	initial := srv.AddUser("trader", "trader-pass")
	w, store := addWindow(t, srv)
	f := begin(t, w, "trader", "trader-pass", initial)
	answer(f, "x", "Shelbyville")
	waitFor(t, "the refusal", steps(f, 2))
	if !f.Asking() || !f.AnswersError.Visible() || f.AnswersError.Text != "The answers were not accepted: each answer must be 2 to 200 characters." {
		t.Fatalf("refused answers: asking %v, %q", f.Asking(), f.AnswersError.Text)
	}
	if f.EnrolButton.Disabled() || f.Answer1.Disabled() {
		t.Error("the questions stay disabled after the refusal")
	}
	if entries, _ := store.List(); len(entries) != 0 {
		t.Fatalf("stored before accepted answers: %v", entries)
	}
	answer(f, "Springfield", "Shelbyville")
	waitFor(t, "the enrolment", steps(f, 3))
	entries, _ := store.List()
	if f.Asking() || len(entries) != 1 || entries[0].Token.Account != "trader" {
		t.Fatalf("after accepted answers: asking %v, stored %v, %q", f.Asking(), entries, f.FormError.Text)
	}
	srv.Clock.Advance(30 * time.Second)
	code, _ := entries[0].Token.Code(srv.Clock.Now())
	if got := srv.Verify("trader", "trader-pass", code); got != verified {
		t.Errorf("the enrolled token's code: %s", got)
	}
}

// Cancel while the questions show abandons the enrolment: nothing is
// stored, and the initial passcode still works for the next try.
func TestAddDialogCancelWhileAsking(t *testing.T) {
	srv := servertest.New(t)
	initial := srv.AddUser("trader", "trader-pass")
	w, store := addWindow(t, srv)
	f := begin(t, w, "trader", "trader-pass", initial)
	test.Tap(f.CancelButton)
	if entries, _ := store.List(); len(entries) != 0 {
		t.Fatalf("a cancelled enrolment stored %v", entries)
	}
	f = begin(t, w, "trader", "trader-pass", initial)
	answer(f, "Springfield", "Shelbyville")
	waitFor(t, "the enrolment", steps(f, 2))
	if entries, _ := store.List(); len(entries) != 1 {
		t.Fatalf("after the cancelled try: stored %v, %q", entries, f.FormError.Text)
	}
}

// A token added with the self-help desk's temporary passcode waits for
// the user's confirmation by mail: the window says so, with the date it
// takes over at the latest.
func TestAddDialogSaysTheTokenWaits(t *testing.T) {
	srv := servertest.New(t)
	srv.Enrol("trader", "trader-pass", srv.AddUser("trader", "trader-pass")) // the lost PC's token
	temp := srv.DeskTemporaryPasscode("trader", "trader-pass", 2)
	w, store := addWindow(t, srv)
	var title, msg string
	w.Inform = func(tt, m string) { title, msg = tt, m }
	test.Tap(w.AddButton)
	f := w.Add
	test.Type(f.UserID, "trader")
	test.Type(f.Password, "trader-pass")
	test.Type(f.Passcode, temp)
	test.Tap(f.EnrolButton)
	waitFor(t, "the enrolment", steps(f, 1))
	if entries, _ := store.List(); len(entries) != 1 {
		t.Fatalf("stored: %+v (%q)", entries, f.FormError.Text)
	}
	want := srv.Clock.Now().Add(24 * time.Hour).Local().Format("2006-01-02 15:04")
	if title != "Confirm the new token" || !strings.Contains(msg, "link it e-mailed") || !strings.Contains(msg, want) {
		t.Errorf("told %q: %q", title, msg)
	}
}
