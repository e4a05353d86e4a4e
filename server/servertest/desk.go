package servertest

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// What the server sent a user by SMS and mail, and the self-help desk's
// links in them.

// LastSMS returns the code in the newest text message to phone in the
// outbox, as the user reads it on their handset, and empties the outbox
// of that phone; "" when there is no message.
func (s *Server) LastSMS(phone string) string {
	s.t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.SMSOutbox, "*"+strings.TrimPrefix(phone, "+")+"*.txt"))
	var newest string
	var newestTime time.Time
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && !fi.ModTime().Before(newestTime) {
			newest, newestTime = f, fi.ModTime()
		}
	}
	if newest == "" {
		return ""
	}
	raw, _ := os.ReadFile(newest)
	for _, f := range files {
		os.Remove(f)
	}
	m := smsCode.FindSubmatch(raw)
	if m == nil {
		s.t.Fatalf("no code in the SMS:\n%s", raw)
	}
	return string(m[1])
}

var deskLink = regexp.MustCompile(`https?://\S+/sechelpdesk/(change|notme)\?c=\S+`)

// DeskLink is the newest link to page ("change" or "notme") in the help
// desk notices mailed to userID, as the user would click it.
func (s *Server) DeskLink(userID, page string) string {
	s.t.Helper()
	var link string
	for _, m := range s.Outbox(userID + "@example.com") {
		for _, l := range deskLink.FindAllStringSubmatch(m, -1) {
			if l[1] == page {
				link = l[0]
			}
		}
	}
	if link == "" {
		s.t.Fatalf("no %s link mailed to %s", page, userID)
	}
	return link
}

// FollowDeskLink does what a user does with the newest help desk mail of
// userID: opens its link to page ("change" or "notme") in a browser and
// presses the page's one button. It returns the page the link showed and
// the answer to the button.
func (s *Server) FollowDeskLink(userID, page string) (shown, answer string, status int) {
	s.t.Helper()
	u, err := url.Parse(s.DeskLink(userID, page))
	if err != nil {
		s.t.Fatal(err)
	}
	b := NewBrowser(s.t, s.Helpdesk)
	if st, body := b.Get(page + "?" + u.RawQuery); st != http.StatusOK {
		s.t.Fatalf("%s link: %d %s", page, st, body)
	} else {
		shown = body
	}
	form := url.Values{"c": {u.Query().Get("c")}}
	if m := waitingField.FindStringSubmatch(shown); m != nil {
		form.Set("waiting", html.UnescapeString(m[1]))
	}
	status, answer = b.Post(page, form)
	return shown, answer, status
}

// waitingField is the case page's hidden field naming what it showed.
var waitingField = regexp.MustCompile(`name="waiting" value="([^"]*)"`)

var (
	deskQuestion = regexp.MustCompile(`id="question">([^<]+)<`)
	deskTemp     = regexp.MustCompile(`id="temp-passcode">([0-9]{8})<`)
)

// DeskTemporaryPasscode does what a user does at the self-help desk to get
// a temporary passcode valid for days: the user ID, the password pw, the
// answer to the question asked (Springfield or Rex, as Enrol answers
// them). It returns the passcode shown.
func (s *Server) DeskTemporaryPasscode(userID, pw string, days int) string {
	s.t.Helper()
	b := NewBrowser(s.t, s.Helpdesk)
	b.Get("")
	b.Post("", url.Values{"userid": {userID}})
	_, body := b.Post("password", url.Values{"password": {pw}})
	q := deskQuestion.FindStringSubmatch(body)
	if q == nil {
		s.t.Fatalf("the help desk asked no question: %s", body)
	}
	answer := map[string]string{account.Questions[1]: "Springfield", account.Questions[2]: "Rex"}[q[1]]
	b.Post("question", url.Values{"answer": {answer}})
	_, body = b.Post("options", url.Values{"phone": {""}, "days": {strconv.Itoa(days)}})
	m := deskTemp.FindStringSubmatch(body)
	if m == nil {
		s.t.Fatalf("the help desk gave no temporary passcode: %s", body)
	}
	return m[1]
}
