package console

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/web"
)

// The pages: html/template files embedded in the binary, each a layout
// around its own template, in the reader's language. Their words come
// from the console's catalogues (messages/LANG.json), else the enrol
// site's (the outcome.CODE sentences, buttons both share).
var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed messages/*.json
	catalogueFS embed.FS
	//go:embed static
	staticFS embed.FS
)

func ownStatic() fs.FS {
	sub, _ := fs.Sub(staticFS, "static")
	return sub
}

// catalogues are the console's own texts of each language.
var catalogues = func() map[lang.Lang]map[string]string {
	out := map[lang.Lang]map[string]string{}
	for _, l := range lang.All {
		raw, err := catalogueFS.ReadFile("messages/" + string(l) + ".json")
		if err != nil {
			panic("console: no catalogue for " + string(l) + ": " + err.Error())
		}
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			panic("console: messages/" + string(l) + ".json: " + err.Error())
		}
		out[l] = m
	}
	return out
}()

// pageNames are the console's pages.
var pageNames = []string{"signin", "passcode", "users", "user", "confirm", "result", "audit", "sessions", "message"}

// pages are the parsed templates, by language and name.
var pages = func() map[lang.Lang]map[string]*template.Template {
	out := map[lang.Lang]map[string]*template.Template{}
	for _, l := range lang.All {
		out[l] = map[string]*template.Template{}
		funcs := web.Funcs(l)
		funcs["t"] = func(key string, args ...any) template.HTML { return translate(l, key, args...) }
		funcs["say"] = func(m msg) template.HTML { return translate(l, m.Key, m.Args...) }
		funcs["mask"] = maskPhone
		funcs["args"] = actionArgs
		for _, name := range pageNames {
			out[l][name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS,
				"templates/layout.html", "templates/parts.html", "templates/"+name+".html"))
		}
	}
	return out
}()

// msg is a sentence of a page: a catalogue key and its arguments.
type msg struct {
	Key  string
	Args []any
}

// say makes a msg.
func say(key string, args ...any) msg { return msg{Key: key, Args: args} }

// translate writes key with args in l as HTML: the console's catalogue's
// text, else the enrol site's; the arguments are escaped.
func translate(l lang.Lang, key string, args ...any) template.HTML {
	text, ok := catalogues[l][key]
	if !ok {
		return web.Words(l, key, args...)
	}
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case msg:
			out[i] = string(translate(l, v.Key, v.Args...))
		case time.Time:
			out[i] = string(web.Funcs(l)["when"].(func(time.Time) template.HTML)(v))
		case string:
			out[i] = template.HTMLEscapeString(v)
		default:
			out[i] = a
		}
	}
	if len(out) == 0 {
		return template.HTML(text)
	}
	return template.HTML(fmt.Sprintf(text, out...))
}

// actionButton is what the template of an action's button sees.
type actionButton struct {
	P           page
	Name, Label string
	// Danger marks an action that asks for a confirmation.
	Danger bool
}

// actionArgs are the arguments of the template of the action name's
// button, labelled with the catalogue's key label.
func actionArgs(p page, name, label string) actionButton {
	return actionButton{P: p, Name: name, Label: label, Danger: actions[name].destructive}
}

// maskPhone shows a number's last three digits only: an operator
// recognises it, and a screen behind them does not give it away.
func maskPhone(p string) string {
	if len(p) <= 3 {
		return p
	}
	return "•••" + p[len(p)-3:]
}

// render answers the page name in the reader's language; s, when not
// nil, gives the CSRF token and the operator.
func (c *console) render(w http.ResponseWriter, r *http.Request, s *session, status int, name string, p page) {
	if s != nil {
		p.CSRF = s.csrf
		if s.actor != nil {
			p.Operator, p.Role = s.actor.Name(), s.actor.Role()
		}
	}
	p.Prefix, p.Back = Prefix, Prefix
	if r.Method == http.MethodGet {
		p.Back = r.URL.RequestURI()
	}
	l := web.LangOf(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", string(l))
	w.WriteHeader(status)
	if err := pages[l][name].Execute(w, p); err != nil {
		c.cfg.Logger.Error("render a console page", "page", name, "err", err)
	}
}

// message shows a page with one sentence.
func (c *console) message(w http.ResponseWriter, r *http.Request, s *session, status int, title string, text msg) {
	c.render(w, r, s, status, "message", page{Title: title, Error: text})
}

// serverError logs err in full and answers that something went wrong,
// and no more.
func (c *console) serverError(w http.ResponseWriter, r *http.Request, s *session, what string, err error) {
	if errors.Is(err, account.ErrUnavailable) {
		// An outage of the database, logged by the rules.
		w.Header().Set("Retry-After", web.RetryAfterUnavailable)
		c.message(w, r, s, http.StatusServiceUnavailable, "title.unavailable", say("outcome.unavailable"))
		return
	}
	c.cfg.Logger.Error(what, "err", err)
	c.message(w, r, s, http.StatusInternalServerError, "title.error", say("error.server"))
}

// ends reports whether err means the operator's actor no longer holds.
func ends(err error) bool {
	return errors.Is(err, account.ErrSignedOut) || errors.Is(err, account.ErrLocked) || errors.Is(err, account.ErrDisabled)
}

// gone reports whether s's operator no longer holds: err says so, and
// the rules confirm it (a refusal about the user acted on, who may be
// locked or disabled, is not the operator's). Before the sign-in there
// is no operator: a locked user reads why on the sign-in page.
func (c *console) gone(r *http.Request, s *session, err error) bool {
	return s.actor != nil && ends(err) && c.cfg.Accounts.Check(r.Context(), *s.actor) != nil
}

// failed answers a refusal by the rules: an operator who no longer holds
// is signed out and asked to sign in again; other refusals go back to
// the page (again, or a message page when nil) with the sentence of
// their code; anything else is a server error.
func (c *console) failed(w http.ResponseWriter, r *http.Request, s *session, what string, err error, again func(int, msg)) {
	code, ok := account.CodeOf(err)
	switch {
	case !ok, code == account.CodeUnavailable:
		c.serverError(w, r, s, what, err)
	case c.gone(r, s, err):
		c.sessions.end(s)
		clearCookie(w, s.https)
		c.render(w, r, nil, http.StatusUnauthorized, "message", page{Title: "title.signinagain", Error: say("error.signinagain"), SignIn: true})
	case again != nil:
		again(status(code), say("outcome."+string(code)))
	default:
		c.message(w, r, s, status(code), "title.refused", say("outcome."+string(code)))
	}
}

// status is the HTTP status of an outcome in the console: the enrol
// site's, but for a user the operator names who is not there (or whom
// their role may not see): not found, where the enrol site answers a
// sign-in's unknown user as unauthorised.
func status(code account.Code) int {
	if code == account.CodeNoSuchUser {
		return http.StatusNotFound
	}
	return web.OutcomeStatus(code)
}
