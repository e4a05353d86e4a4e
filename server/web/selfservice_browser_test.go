package web_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/browsertest"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/qr"
)

// typeAndSubmit types values into fields (by CSS selector) and presses
// the page's #submit.
func typeAndSubmit(t *testing.T, ctx context.Context, what string, fields ...string) {
	t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(fields); i += 2 {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(fields[i]), fields[i+1]))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS("#submit")))
	browsertest.Step(t, ctx, what, steps...)
}

// signIn signs in to the enrol site with the password and a passcode.
func signIn(t *testing.T, ctx context.Context, s *servertest.Server, userID, pw, passcode string, shots bool) {
	t.Helper()
	browsertest.Step(t, ctx, "open the enrol page", chromedp.Navigate(s.URL+"?userid="+userID))
	browsertest.WaitTrue(t, ctx, "the user ID pre-filled from ?userid=", `document.getElementById("userid").value === "`+userID+`"`)
	if shots {
		browsertest.Screenshot(t, ctx, "web-signin")
	}
	typeAndSubmit(t, ctx, "sign in", "#password", pw)
	browsertest.WaitText(t, ctx, "Now the passcode")
	if shots {
		browsertest.Screenshot(t, ctx, "web-passcode")
	}
	if passcode != "" {
		typeAndSubmit(t, ctx, "type the passcode", "#passcode", passcode)
		browsertest.WaitText(t, ctx, "Choose how you will get your passcodes")
	}
}

func answerQuestions(t *testing.T, ctx context.Context, shots bool) {
	t.Helper()
	browsertest.WaitText(t, ctx, "Choose two questions")
	if shots {
		browsertest.Screenshot(t, ctx, "web-questions")
	}
	typeAndSubmit(t, ctx, "answer the questions", "#a1", "Springfield", "#a2", "Rex")
}

// Setup My Soft Token App, in a real browser: the key on the page is what
// the authenticator app would read; its code activates the token, which
// then verifies over the websocket.
func TestBrowserAppEnrolment(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("anna", "anna-pass")
	ctx := browsertest.New(t)
	signIn(t, ctx, s, "anna", "anna-pass", initial, true)
	browsertest.Screenshot(t, ctx, "web-home")
	browsertest.Step(t, ctx, "choose the app", chromedp.Click(chromedp.CSS("#setup-app")))
	browsertest.WaitText(t, ctx, "Key:")
	browsertest.WaitTrue(t, ctx, "the QR code", `document.getElementById("app-code")?.naturalWidth > 0`)
	browsertest.Screenshot(t, ctx, "web-app")
	// What an authenticator app does: read the QR code off the page, frame
	// after frame until one decodes (the first may be taken while the
	// picture is still being painted).
	var uri string
	for try := 1; ; try++ {
		shot := browsertest.Get(t, ctx, "the QR code's picture", chromedp.Screenshot(chromedp.CSS("#app-code")))
		img, err := qr.ReadImage(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		if uri, err = qr.Decode(img); err == nil {
			break
		}
		if try == 5 {
			t.Fatalf("the QR code on the page, in 5 screenshots: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	app, err := token.ParseURI(uri)
	if err != nil || app.Account != "anna" || app.Issuer != "127.0.0.1" {
		t.Fatalf("the QR code holds %q: %+v, %v", uri, app, err)
	}
	// The key in text is the same secret, for apps that cannot scan.
	key := browsertest.Get(t, ctx, "the key", chromedp.Text(chromedp.CSS("#secret")))
	if secret, err := token.ParseSecret(strings.ReplaceAll(key, " ", "")); err != nil || secret.Base32() != app.Secret.Base32() {
		t.Errorf("the key on the page %q is not the QR code's secret: %v", key, err)
	}
	code, _ := app.Code(s.Clock.Now())
	typeAndSubmit(t, ctx, "activate", "#code", code)
	answerQuestions(t, ctx, true)
	browsertest.WaitText(t, ctx, "Your soft token app is set up")
	browsertest.Screenshot(t, ctx, "web-done")
	browsertest.Step(t, ctx, "the password page", chromedp.Navigate(s.URL+"password"))
	browsertest.WaitText(t, ctx, "Current password")
	browsertest.Screenshot(t, ctx, "web-password")

	s.Clock.Advance(30 * time.Second)
	code, _ = app.Code(s.Clock.Now())
	if got := s.Verify("anna", "anna-pass", code); got != wire.ResultOK {
		t.Errorf("verifylogin with the app's code: %s", got)
	}
	// The welcome mail's passcode was used up by the enrolment.
	if got := s.Verify("anna", "anna-pass", initial); got == wire.ResultOK {
		t.Error("the initial passcode still works after enrolment")
	}
}

// Send My Passcode Via SMS: the number is confirmed with the code the SMS
// brought; then a sign-in gets its passcode by SMS.
func TestBrowserSMSEnrolment(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("sid", "sid-pass")
	ctx := browsertest.New(t)
	signIn(t, ctx, s, "sid", "sid-pass", initial, false)
	browsertest.Step(t, ctx, "choose SMS", chromedp.Click(chromedp.CSS("#setup-sms")))
	browsertest.WaitText(t, ctx, "Mobile number")
	browsertest.Screenshot(t, ctx, "web-sms")
	typeAndSubmit(t, ctx, "a number that is not one", "#phone", "7700")
	// The error itself (the form's hint also says "international form").
	browsertest.WaitTrue(t, ctx, "the error about the number",
		`!!document.getElementById("error") && document.getElementById("error").innerText.includes("international form")`)
	browsertest.WaitTrue(t, ctx, "the field cleared", `(document.getElementById("phone").value = "") === ""`)
	typeAndSubmit(t, ctx, "the number", "#phone", "+44 7700 900123")
	browsertest.WaitText(t, ctx, "We sent a code by SMS to")
	browsertest.Screenshot(t, ctx, "web-sms-confirm")
	code := s.LastSMS("+447700900123")
	if code == "" {
		t.Fatal("no SMS to confirm the number")
	}
	typeAndSubmit(t, ctx, "the code from the SMS", "#code", code)
	answerQuestions(t, ctx, false)
	browsertest.WaitText(t, ctx, "Your passcodes will come by SMS to +44…123")
	if !mailed(t, s, "sid", "Your mobile number for passcodes was changed") {
		t.Error("no e-mail told sid that the number changed")
	}
	browsertest.Step(t, ctx, "sign out", chromedp.Click(chromedp.CSS("#logout")))
	browsertest.WaitTrue(t, ctx, "the sign-in page", `!!document.getElementById("signin")`)

	// Signing in again: the passcode comes by SMS.
	signIn(t, ctx, s, "sid", "sid-pass", "", false)
	browsertest.Step(t, ctx, "ask for an SMS", chromedp.Click(chromedp.CSS("#send-sms")))
	browsertest.WaitText(t, ctx, "A passcode was sent by SMS")
	typeAndSubmit(t, ctx, "the SMS passcode", "#passcode", s.LastSMS("+447700900123"))
	browsertest.WaitText(t, ctx, "Choose how you will get your passcodes")
}

// The self-help desk: a wrong answer is refused; the right one leads to a
// temporary passcode that logs in over the websocket, and the user is
// told by e-mail; a token enrolled with it waits until the user confirms
// it through the mail's link; a second one within 30 days is refused.
func TestBrowserHelpdesk(t *testing.T) {
	s := servertest.New(t)
	s.Enrol("hal", "hal-pass", s.AddUser("hal", "hal-pass")) // answers: Springfield, Rex
	ctx := browsertest.New(t)
	reach := func(shots bool) {
		t.Helper()
		browsertest.Step(t, ctx, "open the help desk", chromedp.Navigate(s.Helpdesk+"?userid=hal"))
		browsertest.WaitTrue(t, ctx, "the user ID pre-filled", `document.getElementById("userid").value === "hal"`)
		if shots {
			browsertest.Screenshot(t, ctx, "desk-userid")
		}
		typeAndSubmit(t, ctx, "the user ID")
		browsertest.WaitText(t, ctx, "Not you?")
		if shots {
			browsertest.Screenshot(t, ctx, "desk-password")
		}
		typeAndSubmit(t, ctx, "the password", "#password", "hal-pass")
		browsertest.WaitTrue(t, ctx, "the question", `!!document.getElementById("question")`)
	}
	answer := func() string {
		q := browsertest.Get(t, ctx, "the question", chromedp.Text(chromedp.CSS("#question")))
		return map[string]string{account.Questions[1]: "Springfield", account.Questions[2]: "Rex"}[q]
	}
	reach(true)
	browsertest.Screenshot(t, ctx, "desk-question")
	typeAndSubmit(t, ctx, "a wrong answer", "#answer", "Shelbyville")
	browsertest.WaitText(t, ctx, "The answer is wrong.")
	typeAndSubmit(t, ctx, "the right answer", "#answer", answer())
	browsertest.WaitText(t, ctx, "Temporary passcode")
	browsertest.Screenshot(t, ctx, "desk-options")
	browsertest.WaitTrue(t, ctx, "two days chosen", `(document.getElementById("days").value = "2") === "2"`)
	typeAndSubmit(t, ctx, "ask for a temporary passcode")
	browsertest.WaitText(t, ctx, "Your temporary passcode")
	browsertest.Screenshot(t, ctx, "desk-done")
	temp := browsertest.Get(t, ctx, "the passcode", chromedp.Text(chromedp.CSS("#temp-passcode")))
	if got := s.Verify("hal", "hal-pass", strings.TrimSpace(temp)); got != wire.ResultOK {
		t.Errorf("verifylogin with the temporary passcode %q: %s", temp, got)
	}
	if !mailed(t, s, "hal", "The self-help desk was used for your account") {
		t.Error("no e-mail told hal that the help desk issued a temporary passcode")
	}

	// The new PC's token waits; hal confirms it from the mail's link.
	newPC, r := s.TryEnrol("hal", "hal-pass", strings.TrimSpace(temp))
	if r.Result != wire.ResultOK || r.ActiveFrom == 0 {
		t.Fatalf("the new PC's enrolment with the temporary passcode: %+v", r)
	}
	browsertest.Step(t, ctx, "open the mail's \"this was not me\" link", chromedp.Navigate(s.DeskLink("hal", "notme")))
	browsertest.WaitText(t, ctx, "This was not me: lock my account")
	browsertest.Screenshot(t, ctx, "desk-notme")
	browsertest.Step(t, ctx, "open the mail's confirmation link", chromedp.Navigate(s.DeskLink("hal", "change")))
	browsertest.WaitText(t, ctx, newPC.Serial)
	browsertest.Screenshot(t, ctx, "desk-change")
	browsertest.Step(t, ctx, "confirm", chromedp.Click(chromedp.CSS("#confirm-change")))
	browsertest.WaitText(t, ctx, "What you set up works now")
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("hal", "hal-pass", code(t, newPC, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the new PC's token once confirmed: %s", got)
	}

	// A second one within 30 days.
	s.Clock.Advance(24 * time.Hour)
	reach(false)
	typeAndSubmit(t, ctx, "the right answer", "#answer", answer())
	browsertest.WaitText(t, ctx, "Temporary passcode")
	browsertest.WaitTrue(t, ctx, "one day chosen", `(document.getElementById("days").value = "1") === "1"`)
	typeAndSubmit(t, ctx, "ask for another")
	browsertest.WaitText(t, ctx, "it can help again from")
	browsertest.Screenshot(t, ctx, "desk-too-soon")
}

// mailed reports whether the server's outbox holds a mail to userID's
// address that says what.
func mailed(t *testing.T, s *servertest.Server, userID, what string) bool {
	t.Helper()
	mails, _ := filepath.Glob(filepath.Join(filepath.Dir(s.SMSOutbox), "outbox", "*"+userID+"@example.com*.eml"))
	for _, m := range mails {
		raw, _ := os.ReadFile(m)
		if strings.Contains(string(raw), what) {
			return true
		}
	}
	return false
}
