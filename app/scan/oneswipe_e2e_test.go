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
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token/keyringstore"
)

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
	answer := func(_ context.Context, qs []wire.Question, _ string) (map[int]string, error) {
		return map[int]string{qs[0].ID: "Springfield", qs[1].ID: "Rex"}, nil
	}
	res, err := (&enrolclient.Client{Store: store, Now: s.Clock.Now}).Enrol(context.Background(),
		enrolclient.Params{URL: e.EnrolURL, UserID: e.UserID, OneSwipe: e.Code, Answer: answer})
	if err != nil {
		t.Fatalf("enrol with the scanned code: %v", err)
	}
	s.Clock.Advance(30 * time.Second)
	code, _ := res.Entry.Token.Code(s.Clock.Now())
	if got := s.Verify("trader", "trader-pass", code); got != wire.ResultOK {
		t.Errorf("verifylogin with the token enrolled from the screen: %s", got)
	}
}
