package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/oneswipe"
)

func code(t *testing.T, tok token.Token, at time.Time) string {
	t.Helper()
	c, err := tok.Code(at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSignInWithPasscode(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("trader", "trader-pass")
	b := servertest.NewBrowser(t, s.URL)
	status, body := b.Get("?userid=trader")
	if status != http.StatusOK || !strings.Contains(body, `value="trader"`) {
		t.Fatalf("the user ID is not pre-filled: %d", status)
	}
	if _, body := b.Post("", url.Values{"userid": {"trader"}, "password": {"trader-pass"}}); !strings.Contains(body, "Now the passcode") {
		t.Fatalf("after the password: %s", body)
	}
	if status, body := b.Post("passcode", url.Values{"passcode": {"000000"}}); status != http.StatusUnauthorized || !strings.Contains(body, "passcode is wrong") {
		t.Errorf("a wrong passcode: %d %s", status, body)
	}
	if _, body := b.Post("passcode", url.Values{"passcode": {initial}}); !strings.Contains(body, "Signed in as <b>trader</b>") {
		t.Fatalf("after the initial passcode: %s", body)
	}
	if status, body := b.Post("logout", url.Values{}); status != http.StatusOK || !strings.Contains(body, `id="signin"`) {
		t.Errorf("after signing out: %d", status)
	}
	if _, body := b.Get("home"); !strings.Contains(body, `id="signin"`) {
		t.Error("home is reachable after signing out")
	}
}

// Failures answer without telling whether the user exists, and forms
// without the CSRF token are refused.
func TestSignInFailures(t *testing.T) {
	s := servertest.New(t)
	s.AddUser("trader", "trader-pass")
	tests := []struct {
		name, userID, pw, csrf string
		status                 int
		has                    string
	}{
		{"wrong password", "trader", "nope", "", http.StatusUnauthorized, "The User ID or password is wrong."},
		{"unknown user", "nobody", "trader-pass", "", http.StatusUnauthorized, "The User ID or password is wrong."},
		{"empty", "", "", "", http.StatusBadRequest, "Type your User ID and password."},
		{"no CSRF token", "trader", "trader-pass", "-", http.StatusForbidden, "not sent from this site"},
		{"another CSRF token", "trader", "trader-pass", "forged", http.StatusForbidden, "not sent from this site"},
	}
	for _, tt := range tests {
		b := servertest.NewBrowser(t, s.URL)
		b.Get("")
		form := url.Values{"userid": {tt.userID}, "password": {tt.pw}}
		switch tt.csrf {
		case "-":
			form["csrf"] = nil
		case "":
		default:
			form.Set("csrf", tt.csrf)
		}
		status, body := b.Post("", form)
		if status != tt.status || !strings.Contains(body, tt.has) {
			t.Errorf("%s: %d, want %d with %q", tt.name, status, tt.status, tt.has)
		}
	}
}

func TestSecurityHeadersAndCookie(t *testing.T) {
	s := servertest.New(t)
	resp, err := http.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for header, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	} {
		if got := resp.Header.Get(header); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", header, got, want)
		}
	}
	cookie := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/secenrol/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("the session cookie %q lacks %s", cookie, want)
		}
	}
}

func TestSignInRateLimit(t *testing.T) {
	s := servertest.New(t)
	s.AddUser("trader", "trader-pass")
	b := servertest.NewBrowser(t, s.URL)
	if !limitedWithin(15, func() int { status, _ := b.SignIn("trader", "wrong"); return status }) {
		t.Error("15 wrong passwords in a row were never rate-limited")
	}
}

// limitedWithin reports whether one of n tries is answered 429.
func limitedWithin(n int, try func() (status int)) bool {
	for range n {
		if try() == http.StatusTooManyRequests {
			return true
		}
	}
	return false
}

// One Swipe on the sign-in page: a camera frame with the code fills the
// user ID; the password then signs in with the code's passcode; the same
// code is refused a second time.
func TestOneSwipeSignIn(t *testing.T) {
	s := servertest.New(t)
	tok := s.Enrol("trader", "trader-pass", s.AddUser("trader", "trader-pass"))
	s.Clock.Advance(30 * time.Second)
	swipe := oneswipe.SignIn{UserID: "trader", Passcode: code(t, tok, s.Clock.Now()), Serial: tok.Serial}.String()

	b := servertest.NewBrowser(t, s.URL)
	b.Get("")
	if got := b.Frame("https://example.com/not-one-swipe"); got["error"] == nil {
		t.Errorf("a foreign QR code: %v", got)
	}
	got := b.Frame(swipe)
	if got["userid"] != "trader" {
		t.Fatalf("the frame with the code: %v", got)
	}
	if _, body := b.Post("", url.Values{"userid": {"trader"}, "password": {"trader-pass"}}); !strings.Contains(body, "Signed in as <b>trader</b>") {
		t.Fatalf("One Swipe then the password did not sign in: %s", body)
	}

	again := servertest.NewBrowser(t, s.URL)
	again.Get("")
	again.Frame(swipe)
	status, body := again.Post("", url.Values{"userid": {"trader"}, "password": {"trader-pass"}})
	if status != http.StatusUnauthorized || !strings.Contains(body, "used already") {
		t.Errorf("the same One Swipe code again: %d %s", status, body)
	}

	// A frame without the session's CSRF token is refused.
	forged := servertest.NewBrowser(t, s.URL)
	forged.Get("")
	forged.CSRF = "forged"
	if got := forged.Frame(swipe); got["status"] != float64(http.StatusForbidden) {
		t.Errorf("a frame with a forged CSRF token: %v", got)
	}
}

// The enrolment code page: after signing in, the user gets a One Swipe
// enrolment code as a QR image that decodes to a valid payload.
func TestIssueEnrolCode(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("trader", "trader-pass")
	b := servertest.NewBrowser(t, s.URL)
	b.SignIn("trader", "trader-pass")
	b.Post("passcode", url.Values{"passcode": {initial}})
	status, body := b.Post("oneswipe/issue", url.Values{})
	if status != http.StatusOK || !strings.Contains(body, "Works once, until") {
		t.Fatalf("the code page: %d %s", status, body)
	}
	e, err := oneswipe.ParseEnrolment(b.QR("oneswipe/code.png"))
	if err != nil || e.UserID != "trader" || e.EnrolURL != s.URL || e.Expires.Sub(s.Clock.Now()) != 10*time.Minute {
		t.Errorf("the code: %#v, %v", e, err)
	}
	// Signed out, the image is gone.
	if resp, _ := http.Get(s.URL + "oneswipe/code.png"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the code image without a session: %d", resp.StatusCode)
	}
}

// The help desk: no step can be skipped, forms need the CSRF token, and an
// unknown user ID gets the answer of a wrong password.
func TestHelpdeskRules(t *testing.T) {
	s := servertest.New(t)
	s.Enrol("hal", "hal-pass", s.AddUser("hal", "hal-pass"))
	for _, path := range []string{"password", "question", "options"} {
		b := servertest.NewBrowser(t, s.Helpdesk)
		if _, body := b.Get(path); !strings.Contains(body, "Lost your token") {
			t.Errorf("%s without the steps before it did not go back to the start", path)
		}
	}
	b := servertest.NewBrowser(t, s.Helpdesk)
	b.Get("")
	if status, _ := b.Post("", url.Values{"userid": {"hal"}, "csrf": nil}); status != http.StatusForbidden {
		t.Errorf("the user ID form without its CSRF token: %d", status)
	}
	answers := map[string]int{}
	for _, user := range []string{"hal", "nobody"} {
		b := servertest.NewBrowser(t, s.Helpdesk)
		b.Get("")
		b.Post("", url.Values{"userid": {user}})
		status, body := b.Post("password", url.Values{"password": {"wrong-pass"}})
		if !strings.Contains(body, "The User ID or password is wrong.") {
			t.Errorf("%s with a wrong password: %d", user, status)
		}
		answers[user] = status
	}
	if answers["hal"] != answers["nobody"] {
		t.Errorf("a known and an unknown user get different answers: %v", answers)
	}
	// The options cannot be posted before the answer.
	b = servertest.NewBrowser(t, s.Helpdesk)
	b.Get("")
	b.Post("", url.Values{"userid": {"hal"}})
	b.Post("password", url.Values{"password": {"hal-pass"}})
	if _, body := b.Post("options", url.Values{"days": {"1"}}); strings.Contains(body, "Your temporary passcode") || !strings.Contains(body, "Lost your token") {
		t.Error("the options were taken without the security answer")
	}
}

// Sessions cost memory: one address cannot start them without bound.
func TestSessionStartsLimited(t *testing.T) {
	s := servertest.New(t)
	limited := limitedWithin(40, func() int {
		resp, err := http.Get(s.URL) // no cookie jar: a new session each time
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	})
	if !limited {
		t.Error("40 new sessions from one address were never limited")
	}
}

// A user's own password change (guide, section 6.1) needs no
// re-enrolment: the token keeps working with the new password.
func TestPasswordChange(t *testing.T) {
	s := servertest.New(t)
	tok := s.Enrol("pat", "pat-pass-1", s.AddUser("pat", "pat-pass-1"))
	s.Clock.Advance(30 * time.Second)
	b := servertest.NewBrowser(t, s.URL)
	b.SignIn("pat", "pat-pass-1")
	b.Post("passcode", url.Values{"passcode": {code(t, tok, s.Clock.Now())}})
	tests := []struct {
		current, next, repeat string
		status                int
		has                   string
	}{
		{"pat-pass-1", "pat-pass-2", "pat-pass-3", http.StatusBadRequest, "differ"},
		{"pat-pass-1", "short", "short", http.StatusBadRequest, "must be 8 to"},
		{"pat-pass-1", "pat-pass-1", "pat-pass-1", http.StatusBadRequest, "different from the current"},
		{"wrong-pass", "pat-pass-2", "pat-pass-2", http.StatusUnauthorized, "The current password is wrong."},
		{"pat-pass-1", "pat-pass-2", "pat-pass-2", http.StatusOK, "Your password is changed."},
	}
	for _, tt := range tests {
		status, body := b.Post("password", url.Values{"current": {tt.current}, "new": {tt.next}, "repeat": {tt.repeat}})
		if status != tt.status || !strings.Contains(body, tt.has) {
			t.Errorf("change %q → %q/%q: %d, want %d with %q", tt.current, tt.next, tt.repeat, status, tt.status, tt.has)
		}
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("pat", "pat-pass-2", code(t, tok, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the new password with the same token: %s", got)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("pat", "pat-pass-1", code(t, tok, s.Clock.Now())); got != wire.ResultInvalidLogin {
		t.Errorf("the old password: %s", got)
	}
}

var questionLabel = regexp.MustCompile(`id="question">([^<]+)<`)

// deskSignIn signs in to the help desk as userID with the password and
// the right answer (Springfield or Rex) and returns the browser.
func deskSignIn(t *testing.T, s *servertest.Server, userID, pw string) *servertest.Browser {
	t.Helper()
	b, question := deskQuestion(t, s, userID, pw)
	answer := map[string]string{account.Questions[1]: "Springfield", account.Questions[2]: "Rex"}[question]
	if status, body := b.Post("question", url.Values{"answer": {answer}}); status != http.StatusOK || !strings.Contains(body, "Temporary passcode") {
		t.Fatalf("the answer: %d %s", status, body)
	}
	return b
}

// The attack: someone who knows a user's password and one security answer
// must not take over the second factor at the help desk. A new number
// changes nothing until the code sent to it comes back, and then still
// waits for the user's confirmation through the mail sent to the address
// on file (or the cooling-off); wrong codes change nothing and count
// towards the lockout; the change falls under the 30-day rule with
// temporary passcodes.
func TestHelpdeskNewNumberIsConfirmed(t *testing.T) {
	s := servertest.New(t)
	tok := s.Enrol("nina", "nina-pass", s.AddUser("nina", "nina-pass")) // answers: Springfield, Rex
	b := deskSignIn(t, s, "nina", "nina-pass")
	if status, body := b.Post("options", url.Values{"phone": {"12"}, "days": {"0"}}); status != http.StatusBadRequest || !strings.Contains(body, "international form") {
		t.Errorf("a bad number: %d", status)
	}
	status, body := b.Post("options", url.Values{"phone": {"+39 333 1234567"}, "days": {"2"}})
	if status != http.StatusOK || !strings.Contains(body, "Type it here") || strings.Contains(body, "come by SMS to") {
		t.Fatalf("the new number: %d %s", status, body)
	}
	sent := s.LastSMS("+393331234567")
	if sent == "" {
		t.Fatal("no code sent to the new number")
	}
	// Nothing changed yet: the token works, the number gets no passcode.
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("nina", "nina-pass", code(t, tok, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the token before the number is confirmed: %s", got)
	}
	if got := s.Verify("nina", "nina-pass", sent); got != wire.ResultInvalidToken {
		t.Errorf("the confirmation code as a passcode: %s", got)
	}
	if status, body := b.Post("confirm", url.Values{"code": {"000000"}}); status != http.StatusUnauthorized || !strings.Contains(body, "not the code we sent") {
		t.Errorf("a wrong code: %d", status)
	}
	if status, body := b.Post("confirm", url.Values{"code": {sent}}); status != http.StatusOK || !strings.Contains(body, "take over from your present token") ||
		!strings.Contains(body, `id="temp-passcode"`) {
		t.Fatalf("the right code: %d %s", status, body)
	}
	if !mailed(t, s, "nina", "The self-help desk was used for your account") || !mailed(t, s, "nina", "+39…567") {
		t.Error("no e-mail about the new number and the temporary passcode")
	}
	// The new handset alone proves nothing: the token still works.
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("nina", "nina-pass", code(t, tok, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the old token while the number waits: %s", got)
	}
	// The user confirms through the mail: the number takes over.
	confirmByMail(t, s, "nina")
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("nina", "nina-pass", code(t, tok, s.Clock.Now())); got != wire.ResultInvalidToken {
		t.Errorf("the old token after the number was confirmed: %s", got)
	}
	// Within 30 days the desk helps no more: neither number nor passcode.
	s.Clock.Advance(24 * time.Hour)
	b = deskSignIn(t, s, "nina", "nina-pass")
	for _, ask := range []url.Values{{"phone": {"+39 333 7654321"}, "days": {"0"}}, {"phone": {""}, "days": {"1"}}} {
		if status, body := b.Post("options", ask); status != http.StatusConflict || !strings.Contains(body, "it can help again from") {
			t.Errorf("%v within 30 days: %d", ask, status)
		}
	}
	if s.LastSMS("+393337654321") != "" {
		t.Error("a code went to a number within 30 days")
	}
}

// confirmByMail follows the "change" link of the newest help desk mail of
// userID, as the user would, and presses its button.
func confirmByMail(t *testing.T, s *servertest.Server, userID string) {
	t.Helper()
	followMail(t, s, userID, "change", "Yes, it was me", "What you set up works now")
}

// followMail opens the link to page in userID's newest help desk mail,
// checks the page shows button, presses it and checks the answer says
// done.
func followMail(t *testing.T, s *servertest.Server, userID, page, button, done string) {
	t.Helper()
	shown, answer, status := s.FollowDeskLink(userID, page)
	if !strings.Contains(shown, button) || status != http.StatusOK || !strings.Contains(answer, done) {
		t.Fatalf("%s: the link showed %s\nthe button: %d %s", page, shown, status, answer)
	}
}

// A password the administrator chose must be changed before anything
// else: after the passcode the enrol site asks for the user's own, and no
// other page opens until then.
func TestFirstSignInChangesThePassword(t *testing.T) {
	s := servertest.New(t)
	passcode := url.Values{"passcode": {s.AddUserToChange("nina", "set-by-admin")}}
	b := servertest.NewBrowser(t, s.URL)
	b.SignIn("nina", "set-by-admin")
	if _, body := b.Post("passcode", passcode); !strings.Contains(body, "Choose your password") {
		t.Fatal("after the passcode, no password page")
	}
	for _, path := range []string{"home", "sms", "app", ""} {
		if _, body := b.Get(path); !strings.Contains(body, "Choose your password") {
			t.Errorf("%q before the change does not go to the password page", path)
		}
	}
	if _, body := b.Post("oneswipe/issue", url.Values{}); strings.Contains(body, "Works once, until") || !strings.Contains(body, "Choose your password") {
		t.Error("a One Swipe code before the change")
	}
	b.Get("password")
	if _, body := b.Post("password", url.Values{"current": {"set-by-admin"}, "new": {"ninas-own-pass"}, "repeat": {"ninas-own-pass"}}); !strings.Contains(body, "Your password is changed.") {
		t.Fatalf("the change: %s", body)
	}
	if _, body := b.Get("home"); !strings.Contains(body, "Signed in as <b>nina</b>") {
		t.Error("home after the change")
	}
}

// The app token's issuer and label name the server as configured, never
// as a request's Host header says: a client chooses that header.
func TestAppTokenIssuerIsNotTheHostHeader(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("trader", "trader-pass")
	b := servertest.NewBrowser(t, s.URL)
	b.SignIn("trader", "trader-pass")
	b.Post("passcode", url.Values{"passcode": {initial}})
	req, _ := http.NewRequest("POST", s.URL+"app", strings.NewReader(url.Values{"csrf": {b.CSRF}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = "evil.example"
	for _, c := range b.Client.Jar.Cookies(req.URL) {
		req.AddCookie(c) // the jar keys on the Host header, which is the point here
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), `id="secret"`) {
		t.Fatalf("the app page: %d %s", resp.StatusCode, body)
	}
	resp.Body.Close()
	if uri := b.QR("app/code.png"); strings.Contains(uri, "evil.example") || !strings.Contains(uri, "issuer=127.0.0.1") {
		t.Errorf("the app token's URI: %s", uri)
	}
}

// The sites' own files are served; their folder is not listed (issue 21).
func TestStaticFolderIsNotListed(t *testing.T) {
	s := servertest.New(t)
	for _, base := range []string{s.URL, s.Helpdesk} {
		b := servertest.NewBrowser(t, base)
		for _, tt := range []struct {
			path   string
			status int
		}{{"static/", http.StatusNotFound}, {"static", http.StatusNotFound}, {"static/style.css", http.StatusOK}, {"static/nothing.css", http.StatusNotFound}} {
			status, body := b.Get(tt.path)
			if status != tt.status || strings.Contains(body, `<a href="style.css">`) {
				t.Errorf("%s%s: %d, want %d: %.300s", base, tt.path, status, tt.status, body)
			}
		}
	}
}
