package scan_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/server/browsertest"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// verified is what the server's verifylogin answers for a right password
// and code (wire.ResultOK; app/ does not import server/wire).
const verified = "OK"

// The end to end: the user signs in to the enrol page in a real
// Chromium on a (virtual) screen and asks for a One Swipe code; the app
// scans the screen, enrols with the code, and the token's passcodes
// verify over the websocket.
func TestOneSwipeEnrolmentFromTheScreen(t *testing.T) {
	xvfb(t)
	s := servertest.New(t)
	initial := s.AddUser("trader", "trader-pass")
	ctx := browsertest.New(t, chromedp.VisibleWindow, chromedp.WindowSize(1280, 800))
	browsertest.Step(t, ctx, "sign in with the password",
		chromedp.Navigate(s.URL),
		chromedp.SendKeys(chromedp.CSS("#userid"), "trader"),
		chromedp.SendKeys(chromedp.CSS("#password"), "trader-pass"),
		chromedp.Click(chromedp.CSS("#submit")))
	browsertest.WaitText(t, ctx, "Now the passcode")
	browsertest.Step(t, ctx, "type the welcome mail's passcode",
		chromedp.SendKeys(chromedp.CSS("#passcode"), initial),
		chromedp.Click(chromedp.CSS("#submit")))
	browsertest.WaitText(t, ctx, "Signed in as")
	browsertest.Step(t, ctx, "ask for a One Swipe code", chromedp.Click(chromedp.CSS("#issue")))
	browsertest.WaitText(t, ctx, "Works once")
	browsertest.WaitTrue(t, ctx, "the code image", `document.getElementById("code")?.naturalWidth > 0`)

	// What the app does on "Scan the screen" and "Enrol".
	var text string
	var err error
	for range 20 { // the browser may take a moment to paint
		if text, err = scan.Screen(); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("scan the screen: %v", err)
	}
	found, err := scan.Classify(text, s.Clock.Now())
	if err != nil || found.Enrolment == nil {
		t.Fatalf("the code on the screen: %+v, %v", found, err)
	}
	e := found.Enrolment
	store, _ := keyringstore.New(keyringstore.Config{Backend: &keyringstore.MemoryBackend{}, LockPath: filepath.Join(t.TempDir(), "lock")})
	res, err := enrolWithCode(s, store, e)
	if err != nil {
		t.Fatalf("enrol with the scanned code: %v", err)
	}
	s.Clock.Advance(30 * time.Second)
	code, _ := res.Entry.Token.Code(s.Clock.Now())
	if got := s.Verify("trader", "trader-pass", code); got != verified {
		t.Errorf("verifylogin with the token enrolled from the screen: %s", got)
	}
}

// enrolWithCode enrols with a One Swipe code as the Add dialog does,
// answering the security questions with "Springfield" and "Rex".
func enrolWithCode(s *servertest.Server, store token.Store, code *oneswipe.Enrolment) (enrolclient.Result, error) {
	ctx := context.Background()
	e, err := (&enrolclient.Client{Store: store, Now: s.Clock.Now}).Begin(ctx,
		enrolclient.Params{URL: code.EnrolURL, UserID: code.UserID, OneSwipe: code.Code})
	if err != nil {
		return enrolclient.Result{}, err
	}
	defer e.Close()
	if qs := e.Questions(); qs != nil {
		if err := e.Answer(ctx, map[int]string{qs[0].ID: "Springfield", qs[1].ID: "Rex"}); err != nil {
			return enrolclient.Result{}, err
		}
	}
	return e.Confirm(ctx)
}
