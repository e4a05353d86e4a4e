package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// Found by the independent attacker of issue 21: the "confirm" link
// confirmed whatever waited when the button was pressed, not what the
// page (and the mail) showed. Now a confirmation takes over only what the
// page showed; when something else waits, nothing changes, and the
// newest mail tells of it.
//
// The honest user lost their PC, used the desk, enrolled the new PC's
// token A with the temporary passcode: A waits, and the mail tells of A
// with a confirm link. Someone who knows the password and saw the
// temporary passcode (8 digits shown on screen, valid for days) enrols
// token B with it: B replaces A in the case ("the last one set up is
// what waits"). The user, who opened the page about A, presses confirm:
// the stranger's B takes over, and the user's own new token A never
// works.
func TestDeskConfirmTakesOverOnlyWhatThePageShowed(t *testing.T) {
	s := roomy(t)
	s.Enrol("zoe", "zoe-pass", s.AddUser("zoe", "zoe-pass"))
	temp := deskTemp(t, s, "zoe", "zoe-pass")
	mine, r := s.TryEnrol("zoe", "zoe-pass", temp)
	if r.Result != wire.ResultOK || r.ActiveFrom == 0 {
		t.Fatalf("the user's new PC: %+v", r)
	}
	// The user opens the confirm link of the mail that tells of A.
	link, _ := url.Parse(s.DeskLink("zoe", "change"))
	b := servertest.NewBrowser(t, s.Helpdesk)
	status, shown := b.Get("change?" + link.RawQuery)
	if status != http.StatusOK || !strings.Contains(shown, mine.Serial) {
		t.Fatalf("the confirm page does not show the user's token %s: %d %s", mine.Serial, status, shown)
	}
	// Meanwhile the stranger enrols their own token with the same
	// temporary passcode.
	theirs, r := s.TryEnrol("zoe", "zoe-pass", temp)
	if r.Result != wire.ResultOK {
		t.Fatalf("the stranger's enrolment: %+v", r)
	}
	// The user presses the button of the page that showed A.
	form := url.Values{"c": {link.Query().Get("c")}, "waiting": {waitingField.FindStringSubmatch(shown)[1]}}
	if status, body := b.Post("change", form); status != http.StatusConflict || !strings.Contains(body, "Something else was set up") {
		t.Errorf("confirm of the page that showed %s while %s waits: %d %s", mine.Serial, theirs.Serial, status, body)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("zoe", "zoe-pass", code(t, theirs, s.Clock.Now())); got == wire.ResultOK {
		t.Errorf("the stranger's token %s took over through a confirmation of the page that showed %s", theirs.Serial, mine.Serial)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("zoe", "zoe-pass", code(t, mine, s.Clock.Now())); got != wire.ResultInvalidToken {
		t.Errorf("the user's token %s, replaced in the case before the confirmation: %s", mine.Serial, got)
	}
}

var waitingField = regexp.MustCompile(`name="waiting" value="([^"]*)"`)

// Found by the independent attacker of issue 21: what waited in a case
// outlived the user's own re-enrolment with their old token. Now an
// enrolment with the old factor drops what waits. The stranger (password and one
// answer) enrols token B with the desk's passcode: B waits. The user,
// who still holds their token, enrols a new one with it (a new phone, say)
// during the cooling-off: that proves the old factor is in the user's
// hands, yet B still waits, and at the first sign-in after the
// cooling-off (the user's own) B replaces the token the user just
// enrolled: the user is locked out by the stranger's token.
func TestDeskWaitingTokenEndsWithTheUsersOwnReenrolment(t *testing.T) {
	s := roomy(t)
	own := s.Enrol("yan", "yan-pass", s.AddUser("yan", "yan-pass"))
	temp := deskTemp(t, s, "yan", "yan-pass")
	theirs, r := s.TryEnrol("yan", "yan-pass", temp)
	if r.Result != wire.ResultOK || r.ActiveFrom == 0 {
		t.Fatalf("the stranger's token should wait: %+v", r)
	}
	s.Clock.Advance(30 * time.Second)
	newOwn, r := s.TryEnrol("yan", "yan-pass", code(t, own, s.Clock.Now()))
	if r.Result != wire.ResultOK || r.ActiveFrom != 0 {
		t.Fatalf("the user's re-enrolment with their own token: %+v", r)
	}
	s.Clock.Advance(24*time.Hour + time.Minute)
	if got := s.Verify("yan", "yan-pass", code(t, newOwn, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the token the user enrolled with their own token during the case, after the cooling-off: %s", got)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("yan", "yan-pass", code(t, theirs, s.Clock.Now())); got == wire.ResultOK {
		t.Errorf("the stranger's token %s took over after the user re-enrolled with their own token", theirs.Serial)
	}
}
