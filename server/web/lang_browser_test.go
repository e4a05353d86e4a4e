package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/softtoken/softtoken/server/browsertest"
	"github.com/softtoken/softtoken/server/servertest"
)

// A trader whose browser is in Italian, in Milan, in a real browser: the
// pages are in Italian, the script's words too, times show in the
// reader's zone, and the switch on the page turns the site to English.
func TestBrowserItalianReaderInRome(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("trader", "trader-pass")
	ctx := browsertest.New(t, chromedp.Flag("accept-lang", "it-IT,it"), chromedp.Flag("lang", "it-IT"), chromedp.Env("TZ=Europe/Rome"))
	browsertest.Step(t, ctx, "open the enrol page", chromedp.Navigate(s.URL+"?userid=trader"))
	browsertest.WaitText(t, ctx, "Funziona solo con un token che mostra un codice One Swipe")
	browsertest.Screenshot(t, ctx, "web-signin-it")
	// The camera's words come from the page: there is no camera here.
	browsertest.Step(t, ctx, "start the camera", chromedp.Click(chromedp.CSS("#oneswipe-start")))
	browsertest.WaitTrue(t, ctx, "the camera's status in Italian",
		`["Nessuna webcam", "L'uso della webcam", "Questo browser"].some((s) => document.getElementById("camera-status").innerText.startsWith(s))`)
	typeAndSubmit(t, ctx, "sign in", "#password", "trader-pass")
	browsertest.WaitText(t, ctx, "Ora il codice di accesso")
	typeAndSubmit(t, ctx, "type the passcode", "#passcode", initial)
	browsertest.WaitText(t, ctx, "Scelga come ricevere i codici di accesso")
	browsertest.Screenshot(t, ctx, "web-home-it")
	browsertest.Step(t, ctx, "show a One Swipe code", chromedp.Click(chromedp.CSS("#issue")))
	browsertest.WaitText(t, ctx, "Vale una sola volta")
	// The expiry, written "14:05 UTC" by the server, reads in Rome's time.
	shown := browsertest.Get(t, ctx, "the expiry", chromedp.Evaluate[string](`document.querySelector("#expiry time").innerText`))
	want := browsertest.Get(t, ctx, "the expiry in Rome",
		chromedp.Evaluate[string](`new Date(document.querySelector("#expiry time").getAttribute("datetime")).toLocaleString("it", {hour: "2-digit", minute: "2-digit", timeZone: "Europe/Rome", timeZoneName: "short"})`))
	if shown != want || shown == "" {
		t.Errorf("the expiry shows %q, want %q (Rome's time, zone named)", shown, want)
	}
	// The switch comes back to the same page, in English.
	browsertest.Step(t, ctx, "switch to English", chromedp.Click(chromedp.CSS("#lang-en")))
	browsertest.WaitText(t, ctx, "Works once, until")
}
