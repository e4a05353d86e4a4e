package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/softtoken/softtoken/server/browsertest"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/token/oneswipe"
	"github.com/softtoken/softtoken/token/qr"
)

// A real Chromium whose webcam shows a One Swipe code (as the desktop app
// shows it): the sign-in page reads it, fills the user ID, and the password
// signs in. A second browser showing the same code is refused.
func TestBrowserOneSwipe(t *testing.T) {
	s := servertest.New(t)
	tok := s.Enrol("trader", "trader-pass", s.AddUser("trader", "trader-pass"))
	s.Clock.Advance(30 * time.Second)
	swipe := oneswipe.SignIn{UserID: "trader", Passcode: code(t, tok, s.Clock.Now()), Serial: tok.Serial}.String()
	img, err := qr.PNG(swipe, 360)
	if err != nil {
		t.Fatal(err)
	}
	camera := browsertest.FakeCamera(t, img)

	for i, want := range []string{"Signed in as", "used already"} {
		ctx := browsertest.New(t, camera)
		browsertest.Step(t, ctx, "open the enrol page", chromedp.Navigate(s.URL))
		browsertest.Step(t, ctx, "start One Swipe", chromedp.Click(chromedp.CSS("#oneswipe-start")))
		browsertest.WaitTrue(t, ctx, "the user ID filled from the camera", `document.getElementById("userid").value === "trader"`)
		if i == 0 {
			browsertest.Screenshot(t, ctx, "web-oneswipe-read")
		}
		browsertest.Step(t, ctx, "type the password and sign in",
			chromedp.SendKeys(chromedp.CSS("#password"), "trader-pass"),
			chromedp.Click(chromedp.CSS("#submit")))
		browsertest.WaitText(t, ctx, want)
		if i == 0 {
			// docs' web-home.png is TestBrowserAppEnrolment's: one name,
			// one maker, whatever order the tests run in.
			browsertest.Step(t, ctx, "ask for a One Swipe enrolment code",
				chromedp.Click(chromedp.CSS("#issue")), chromedp.WaitVisible(chromedp.CSS("#code")))
			browsertest.WaitTrue(t, ctx, "the code image", `document.getElementById("code")?.naturalWidth > 0`)
			browsertest.Screenshot(t, ctx, "web-oneswipe-enrolment-code")
		} else {
			browsertest.Screenshot(t, ctx, "web-oneswipe-refused")
		}
	}
}
