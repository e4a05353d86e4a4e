package console_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/browsertest"
	"github.com/softtoken/softtoken/server/wire"
)

// In a real Chromium, a help-desk operator signs in with their password
// and token, finds the locked user among the users, unlocks them, and
// issues them a temporary passcode, which then verifies over the
// websocket. It takes the console's pictures for docs/console.md.
func TestBrowserHelpdesk(t *testing.T) {
	s := start(t)
	alice := operator(t, s, "alice", account.RoleHelpdesk)
	for _, id := range []string{"bob", "erin"} {
		user(t, s, id)
		s.Admin("", "user", "update", "--firm", "Banca Esempio", id)
	}
	s.AddUser("frank", "frank-pass")
	lock(t, s, "bob")

	ctx := browsertest.New(t)
	browsertest.Step(t, ctx, "open the console", chromedp.Navigate(s.AdminURL+"/admin/"))
	browsertest.Screenshot(t, ctx, "console-signin")
	browsertest.Step(t, ctx, "type the user ID and password",
		chromedp.SendKeys(chromedp.CSS("#userid"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), "alice-pass"),
		chromedp.Click(chromedp.CSS("#submit")))
	browsertest.WaitTrue(t, ctx, "the passcode page", `!!document.getElementById("passcode")`)
	browsertest.Step(t, ctx, "type the token's passcode",
		chromedp.SendKeys(chromedp.CSS("#passcode"), code(t, s, alice)),
		chromedp.Click(chromedp.CSS("#submit")))
	browsertest.WaitTrue(t, ctx, "the users list", `!!document.getElementById("users")`)
	browsertest.Screenshot(t, ctx, "console-users")

	browsertest.Step(t, ctx, "show the locked users",
		chromedp.Click(chromedp.CSS("#f-locked")), chromedp.Click(chromedp.CSS("#filter")))
	browsertest.WaitTrue(t, ctx, "only bob", `location.search.includes("locked=1") && document.querySelectorAll(".user-link").length === 1`)
	browsertest.Step(t, ctx, "open bob's page", chromedp.Click(chromedp.CSS(".user-link")))
	browsertest.WaitTrue(t, ctx, "bob's page", `!!document.getElementById("do-unlock")`)
	browsertest.Screenshot(t, ctx, "console-user")

	browsertest.Step(t, ctx, "unlock bob", chromedp.Click(chromedp.CSS("#do-unlock")))
	browsertest.WaitText(t, ctx, "Unlocked: bob")
	browsertest.Step(t, ctx, "back to bob's page", chromedp.Click(chromedp.CSS("#back-user")))
	browsertest.WaitTrue(t, ctx, "bob's page, unlocked", `!!document.getElementById("do-temp") && document.getElementById("failures").innerText === "0"`)
	browsertest.Step(t, ctx, "issue a temporary passcode", chromedp.Click(chromedp.CSS("#do-temp")))
	browsertest.WaitTrue(t, ctx, "the temporary passcode", `!!document.getElementById("temp-passcode")`)
	browsertest.Screenshot(t, ctx, "console-temp")
	temp := browsertest.Get(t, ctx, "read the passcode", chromedp.Evaluate[string](`document.getElementById("temp-passcode").innerText`))
	if r := s.Verify("bob", "bob-pass", temp); r != wire.ResultOK {
		t.Fatalf("the temporary passcode %q verified as %q", temp, r)
	}
}
