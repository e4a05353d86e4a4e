package web

import (
	"embed"
	"net/http"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// The pages: html/template files embedded in the binary, one set a
// language (see newSite), each page a layout around its own template,
// written in the reader's language (i18n.go).
//
//go:embed templates/*.html
var templateFS embed.FS

// page is what every template sees. Its words are catalogue keys (Title)
// and msgs (Error, Notice), which the page writes in the reader's
// language.
type page struct {
	Title  string
	CSRF   string
	UserID string
	Error  msg
	Notice msg
	// Swipe says a One Swipe code was read and waits for the password.
	Swipe bool
	// Expires is when the shown One Swipe enrolment code or temporary
	// passcode stops working.
	Expires time.Time
	Prefix  string
	// SiteName and StartLink are the catalogue keys of the site's name and
	// of the link to its start.
	SiteName, StartLink string
	// Back is the page to come back to after a switch of language.
	Back string
	// Secret is a new app seed in base32, in groups of four.
	Secret string
	// Phone is a mobile number (typed, or masked once sent to).
	Phone string
	// SMS says the user gets passcodes by SMS.
	SMS bool
	// Questions to choose from, or the one asked (QuestionID).
	Questions  []account.Question
	QuestionID int
	// Days are the validities a temporary passcode may have.
	Days []int
	// TempPasscode is a temporary passcode just issued, shown once.
	TempPasscode string
	// Code is the form that asks for a code (codeform.html).
	Code codeForm
	// Waits is when a token or number set up with what the self-help desk
	// gave takes over, unless the user confirms it before; Case is the
	// secret of a help desk case's link, Serial the token that waits.
	Waits        time.Time
	Case, Serial string
	// Waiting names what the case page showed as waiting (account.DeskCase).
	Waiting string
}

// codeForm is a form asking for a code: where it goes, and the catalogue
// keys of its label and its button.
type codeForm struct{ Action, Label, Button string }

// The forms that ask for a code.
var (
	appCodeForm  = codeForm{Action: "app/confirm", Label: "code.app.label", Button: "code.app.button"}
	smsCodeForm  = codeForm{Action: "sms/confirm", Label: "code.sms.label", Button: "code.sms.button"}
	deskCodeForm = codeForm{Action: "confirm", Label: "code.sms.label", Button: "code.sms.button"}
)

// render answers the page name, in the reader's language.
func (h *site[V]) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.Prefix, p.SiteName, p.StartLink = h.prefix, "site."+h.key+".name", "site."+h.key+".start"
	p.Back = h.prefix
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, h.prefix) {
		p.Back = r.URL.Path
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", string(langOf(r)))
	w.WriteHeader(status)
	if err := h.pages[langOf(r)][name].Execute(w, p); err != nil {
		h.cfg.Logger.Error("render page", "page", name, "err", err)
	}
}

// message shows a page with one sentence and a way back to the start.
func (h *site[V]) message(w http.ResponseWriter, r *http.Request, status int, title string, text msg) {
	h.render(w, r, status, "message", page{Title: title, Error: text})
}
