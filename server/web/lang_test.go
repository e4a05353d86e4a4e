package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/servertest"
)

// catalogue reads messages/LANG.json.
func catalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("messages/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// italianBrowser is a browser whose language is Italian.
func italianBrowser(t *testing.T, base string) *servertest.Browser {
	t.Helper()
	return servertest.NewBrowserVia(t, base, "", http.Header{"Accept-Language": {"it-IT,it;q=0.9,en;q=0.5"}})
}

var (
	tags = regexp.MustCompile(`<[^>]*>`)
	// Texts are compared a clause at a time: between arguments and
	// punctuation.
	clauses = regexp.MustCompile(`%(\[\d+\])?[sdv]|[.:;,?!()]+(\s|$)`)
)

// englishLeft returns the English clauses (of three words or more) that a
// page in Italian shows: words that did not go through the catalogue.
func englishLeft(t *testing.T, page string) []string {
	t.Helper()
	en, it := catalogue(t, "en"), catalogue(t, "it")
	shown := html.UnescapeString(tags.ReplaceAllString(page, " "))
	shown = strings.Join(strings.Fields(shown), " ")
	var left []string
	for key, text := range en {
		if it[key] == text {
			continue
		}
		for _, part := range clauses.Split(html.UnescapeString(tags.ReplaceAllString(text, "")), -1) {
			part = strings.Join(strings.Fields(part), " ")
			if len(strings.Fields(part)) >= 3 && strings.Contains(shown, part) {
				left = append(left, part)
			}
		}
	}
	return left
}

// The browser's language picks the pages' language; the switch on every
// page changes it and is remembered, before any sign-in, on both sites.
func TestLanguageFromBrowserAndSwitch(t *testing.T) {
	s := servertest.New(t)
	b := italianBrowser(t, s.URL)
	_, body := b.Get("")
	if !strings.Contains(body, `<html lang="it">`) || !strings.Contains(body, ">Accedi<") {
		t.Fatalf("an Italian browser's sign-in page is not in Italian: %s", body)
	}
	if !strings.Contains(body, `href="/secenrol/lang?to=en&amp;back=%2fsecenrol%2f"`) {
		t.Errorf("no switch to English on the page: %s", body)
	}
	_, body = b.Get("lang?to=en&back=/secenrol/")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, ">Sign in<") || !strings.Contains(body, `id="lang-it"`) {
		t.Errorf("after switching to English: %s", body)
	}
	// Remembered: the next page, and the help desk, stay English.
	if _, body = b.Get(""); !strings.Contains(body, `<html lang="en">`) {
		t.Error("the choice of English was not remembered")
	}
	resp, err := b.Client.Get(s.Helpdesk)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Language") != "en" {
		t.Errorf("the help desk after choosing English: %q", resp.Header.Get("Content-Language"))
	}
	// Without a choice, a browser that asks for no language we speak gets
	// English.
	fr := servertest.NewBrowserVia(t, s.URL, "", http.Header{"Accept-Language": {"fr-FR,de;q=0.8"}})
	if _, body := fr.Get(""); !strings.Contains(body, `<html lang="en">`) {
		t.Error("a French browser does not get English")
	}
}

// The switch goes back only to a page of the site.
func TestLanguageSwitchStaysOnTheSite(t *testing.T) {
	s := servertest.New(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for back, want := range map[string]string{
		"/secenrol/home":         "/secenrol/home",
		"//evil.example/x":       "/secenrol/",
		"https://evil.example/":  "/secenrol/",
		"/secenrol//evil":        "/secenrol/",
		"/secenrol/\\evil":       "/secenrol/",
		"/sechelpdesk/options":   "/secenrol/",
		"/secenrol/home?x=1#top": "/secenrol/",
	} {
		resp, err := noFollow.Get(s.URL + "lang?to=it&back=" + url.QueryEscape(back))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("back=%q: %d to %q, want %q", back, resp.StatusCode, got, want)
		}
	}
}

// Every page of the enrol site and the help desk, and their error pages,
// in Italian: no English sentence is left, and times name their zone.
func TestItalianPagesHoldNoEnglish(t *testing.T) {
	s := servertest.New(t)
	it := catalogue(t, "it")
	initial := s.AddUser("trader", "trader-pass")
	pages := map[string]string{}
	// see("name")(status, body) keeps a page, which must be in Italian.
	see := func(name string) func(int, string) {
		return func(status int, body string) {
			t.Helper()
			if !strings.Contains(body, `<html lang="it">`) {
				t.Errorf("%s (%d) is not in Italian: %s", name, status, body)
			}
			pages[name] = body
		}
	}
	b := italianBrowser(t, s.URL)
	see("sign-in")(b.Get(""))
	see("sign-in without a password")(b.Post("", url.Values{"userid": {"trader"}}))
	see("sign-in, wrong password")(b.Post("", url.Values{"userid": {"trader"}, "password": {"wrong-pass"}}))
	see("passcode")(b.Post("", url.Values{"userid": {"trader"}, "password": {"trader-pass"}}))
	see("passcode, badly typed")(b.Post("passcode", url.Values{"passcode": {"12"}}))
	see("passcode, wrong")(b.Post("passcode", url.Values{"passcode": {"000000"}}))
	see("home")(b.Post("passcode", url.Values{"passcode": {initial}}))
	see("app")(b.Post("app", url.Values{}))
	see("app, wrong code")(b.Post("app/confirm", url.Values{"code": {"000000"}}))
	see("sms")(b.Get("sms"))
	see("sms, bad number")(b.Post("sms", url.Values{"phone": {"12"}}))
	see("sms confirm")(b.Post("sms", url.Values{"phone": {"+39 333 1234567"}}))
	see("sms confirm, wrong code")(b.Post("sms/confirm", url.Values{"code": {"000000"}}))
	see("questions")(b.Get("questions"))
	see("questions, the same twice")(b.Post("questions", url.Values{"q1": {"1"}, "q2": {"1"}, "a1": {"aa"}, "a2": {"bb"}}))
	see("password")(b.Get("password"))
	see("password, repeated wrong")(b.Post("password", url.Values{"current": {"trader-pass"}, "new": {"new-pass-1"}, "repeat": {"new-pass-2"}}))
	see("password, too short")(b.Post("password", url.Values{"current": {"trader-pass"}, "new": {"short"}, "repeat": {"short"}}))
	see("one swipe")(b.Post("oneswipe/issue", url.Values{}))
	see("done")(b.Post("questions", url.Values{"q1": {"1"}, "q2": {"2"}, "a1": {"Springfield"}, "a2": {"Rex"}}))
	see("expired form")(b.Post("logout", url.Values{"csrf": {"forged"}}))
	see("no such page")(b.Get("nowhere"))
	see("a form's address as a page")(b.Get("passcode/sms"))
	if !strings.Contains(pages["a form's address as a page"], it["error.notfound"]) {
		t.Errorf("a form's address opened as a page: %s", pages["a form's address as a page"])
	}
	if !strings.Contains(pages["one swipe"], `<time datetime="`) || !strings.Contains(pages["one swipe"], " UTC</time>") {
		t.Errorf("the One Swipe code's expiry names no zone: %s", pages["one swipe"])
	}
	if !strings.Contains(pages["sign-in"], it["login.oneswipe.which"][:40]) {
		t.Error("the sign-in page does not say which tokens show a One Swipe code")
	}

	// The help desk: its steps, a temporary passcode, then "too soon".
	s.Enrol("hal", "hal-pass", s.AddUser("hal", "hal-pass"))
	d := italianBrowser(t, s.Helpdesk)
	see("desk start")(d.Get(""))
	see("desk, no user ID")(d.Post("", url.Values{"userid": {""}}))
	see("desk password")(d.Post("", url.Values{"userid": {"hal"}}))
	see("desk, wrong password")(d.Post("password", url.Values{"password": {"wrong-pass"}}))
	status, body := d.Post("password", url.Values{"password": {"hal-pass"}})
	see("desk question")(status, body)
	answers := map[string]string{it["question.1"]: "Springfield", it["question.2"]: "Rex"}
	m := questionLabel.FindStringSubmatch(body)
	if m == nil || answers[html.UnescapeString(m[1])] == "" {
		t.Fatalf("the question is not one of the user's, in Italian: %v", m)
	}
	see("desk, wrong answer")(d.Post("question", url.Values{"answer": {"nope"}}))
	see("desk options")(d.Post("question", url.Values{"answer": {answers[html.UnescapeString(m[1])]}}))
	see("desk, nothing chosen")(d.Post("options", url.Values{"phone": {""}, "days": {"0"}}))
	see("desk done")(d.Post("options", url.Values{"phone": {""}, "days": {"1"}}))
	if !strings.Contains(pages["desk done"], `data-format="datetime"`) || !strings.Contains(pages["desk done"], " UTC</time>") {
		t.Errorf("the temporary passcode's expiry names no zone: %s", pages["desk done"])
	}
	s.Clock.Advance(24 * time.Hour)
	d = italianBrowser(t, s.Helpdesk)
	d.Get("")
	d.Post("", url.Values{"userid": {"hal"}})
	_, body = d.Post("password", url.Values{"password": {"hal-pass"}})
	m = questionLabel.FindStringSubmatch(body)
	d.Post("question", url.Values{"answer": {answers[html.UnescapeString(m[1])]}})
	status, body = d.Post("options", url.Values{"phone": {""}, "days": {"1"}})
	see("desk, too soon")(status, body)
	if status != http.StatusConflict || strings.Contains(body, "temporary passcode too soon") || !strings.Contains(body, "potrà farlo di nuovo dal") {
		t.Errorf("the too-soon page: %d %s", status, body)
	}

	for name, body := range pages {
		for _, left := range englishLeft(t, body) {
			t.Errorf("the Italian %s page shows English: %q", name, left)
		}
	}
	// The check finds English where there is some.
	if len(englishLeft(t, "<p>Choose two different questions.</p>")) == 0 {
		t.Error("the check misses an English sentence")
	}
}

// smsTexts are the texts of the messages to phone in the outbox.
func smsTexts(t *testing.T, s *servertest.Server, phone string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.SMSOutbox, "*"+strings.TrimPrefix(phone, "+")+"*.txt"))
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(raw))
	}
	return out
}

// A signed-in user who switches the enrol site to Italian gets their text
// messages and mails in Italian from then on; a switch before the sign-in
// is the browser's only.
func TestSignedInSwitchIsTheUsersLanguage(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("trader", "trader-pass")
	userLang := func() string {
		t.Helper()
		var u struct {
			Lang string `json:"lang"`
		}
		if err := json.Unmarshal([]byte(s.Admin("", "user", "show", "trader")), &u); err != nil {
			t.Fatal(err)
		}
		return u.Lang
	}
	b := servertest.NewBrowser(t, s.URL)
	b.Get("lang?to=it&back=/secenrol/")
	if got := userLang(); got != "en" {
		t.Errorf("a switch before the sign-in made the user's language %q", got)
	}
	b.Get("lang?to=en&back=/secenrol/")
	b.SignIn("trader", "trader-pass")
	b.Post("passcode", url.Values{"passcode": {initial}})
	if _, body := b.Get("lang?to=it&back=/secenrol/home"); !strings.Contains(body, "Accesso eseguito come") {
		t.Fatalf("the switch did not come back to the page in Italian: %s", body)
	}
	if got := userLang(); got != "it" {
		t.Fatalf("the signed-in user's switch left their language %q", got)
	}
	b.Post("sms", url.Values{"phone": {"+39 333 1234567"}})
	texts := smsTexts(t, s, "+393331234567")
	if len(texts) != 1 || !strings.Contains(texts[0], "Codice softtoken per confermare questo numero") {
		t.Fatalf("the text message is not in Italian: %q", texts)
	}
	// The user has no security questions yet: they come next.
	if _, body := b.Post("sms/confirm", url.Values{"code": {s.LastSMS("+393331234567")}}); !strings.Contains(body, "<h1>Domande di sicurezza</h1>") {
		t.Fatalf("after the code: %s", body)
	}
	if !mailed(t, s, "trader", "Il numero di cellulare per i codici di accesso via SMS del Suo User ID") {
		t.Error("the notice of the new number is not in Italian")
	}
	// The passcode for the next logon, sent at once (pre-loaded), and the
	// next passcode by SMS are in Italian too.
	if texts := smsTexts(t, s, "+393331234567"); len(texts) != 1 || !strings.Contains(texts[0], "Codice softtoken per il prossimo accesso: ") {
		t.Errorf("the pre-loaded passcode is not in Italian: %q", texts)
	}
	s.LastSMS("+393331234567")
	b = servertest.NewBrowser(t, s.URL)
	b.SignIn("trader", "trader-pass")
	b.Post("passcode/sms", url.Values{})
	if texts := smsTexts(t, s, "+393331234567"); len(texts) != 1 || !strings.Contains(texts[0], "Codice di accesso softtoken: ") {
		t.Errorf("the SMS passcode is not in Italian: %q", texts)
	}
}

// A signed-in user's switch is stored, and audited, only when it changes
// their language, and at the pace sessions may start from an address: a
// page that loads the switch's link over and over, to the same language or
// back and forth, cannot flood the audit.
func TestLanguageSwitchCannotFloodTheAudit(t *testing.T) {
	s := servertest.New(t)
	initial := s.AddUser("trader", "trader-pass")
	b := servertest.NewBrowser(t, s.URL)
	b.SignIn("trader", "trader-pass")
	b.Post("passcode", url.Values{"passcode": {initial}})
	records := func() int {
		t.Helper()
		return strings.Count(s.Admin("", "audit", "--user", "trader"), "language")
	}
	before := records()
	for range 50 {
		b.Get("lang?to=it&back=/secenrol/home")
	}
	if got := records() - before; got != 1 {
		t.Errorf("50 switches to Italian wrote %d audit records, want 1", got)
	}
	before = records()
	for i := range 200 {
		b.Get("lang?to=" + []string{"en", "it"}[i%2] + "&back=/secenrol/home")
	}
	if got := records() - before; got > 100 {
		t.Errorf("200 switches back and forth wrote %d audit records", got)
	}
}
