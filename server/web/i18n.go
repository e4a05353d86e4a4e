package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/request"
)

// The pages' words: one catalogue a language, messages/LANG.json, a flat
// object of key → text. Every word a page shows comes from it: templates
// call {{t "key" args…}}, handlers put a msg (key and arguments) in a
// page. A text may hold simple markup (<b>, a link); its arguments are
// escaped. Adding a language is one more file and one more lang.Lang
// (docs/web.md, "Languages").
//
//go:embed messages/*.json
var catalogueFS embed.FS

// catalogues are the texts of each language.
var catalogues = func() map[lang.Lang]map[string]string {
	out := map[lang.Lang]map[string]string{}
	for _, l := range lang.All {
		raw, err := catalogueFS.ReadFile("messages/" + string(l) + ".json")
		if err != nil {
			panic("web: no catalogue for " + string(l) + ": " + err.Error())
		}
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			panic("web: messages/" + string(l) + ".json: " + err.Error())
		}
		out[l] = m
	}
	return out
}()

// msg is a sentence of a page: a catalogue key and its arguments, which
// may be strings, numbers, times (written as a date), template.HTML (ours,
// not escaped) or msgs.
type msg struct {
	Key  string
	Args []any
}

// dateTime is a message's argument written as a date and time (a plain
// time.Time is written as a date).
type dateTime time.Time

// clockTime is a message's argument written as a time of day, which
// time.js rewrites in the reader's zone.
type clockTime time.Time

// say makes a msg.
func say(key string, args ...any) msg { return msg{Key: key, Args: args} }

// translate writes key with args in l, as HTML: the catalogue's text is
// ours, the arguments are escaped. An unknown key shows as itself (a test
// checks there are none).
func translate(l lang.Lang, key string, args ...any) template.HTML {
	text, ok := catalogues[l][key]
	if !ok {
		text = key
	}
	if len(args) == 0 {
		return template.HTML(text)
	}
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case template.HTML:
			out[i] = string(v)
		case msg:
			out[i] = string(translate(l, v.Key, v.Args...))
		case time.Time:
			out[i] = template.HTMLEscapeString(l.Date(v))
		case dateTime:
			t := time.Time(v)
			out[i] = string(timeTag(t, "datetime", l.DateTime(t)))
		case clockTime:
			t := time.Time(v)
			out[i] = string(timeTag(t, "time", l.Clock(t)))
		case string:
			out[i] = template.HTMLEscapeString(v)
		default:
			out[i] = a
		}
	}
	return template.HTML(fmt.Sprintf(text, out...))
}

// text is translate as plain text, for answers that are not HTML (the
// camera reader's JSON).
func text(l lang.Lang, key string) string {
	return strings.NewReplacer("<b>", "", "</b>", "").Replace(string(translate(l, key)))
}

// funcsFor are the template functions of pages in l.
func funcsFor(l lang.Lang) template.FuncMap {
	return template.FuncMap{
		"t":        func(key string, args ...any) template.HTML { return translate(l, key, args...) },
		"say":      func(m msg) template.HTML { return translate(l, m.Key, m.Args...) },
		"lang":     func() lang.Lang { return l },
		"langs":    func() []lang.Lang { return lang.All },
		"question": func(id int) template.HTML { return translate(l, fmt.Sprintf("question.%d", id)) },
		// clock and when write a time in UTC, the zone named; time.js
		// rewrites them in the reader's own zone.
		"clock": func(t time.Time) template.HTML { return timeTag(t, "time", l.Clock(t)) },
		"when":  func(t time.Time) template.HTML { return timeTag(t, "datetime", l.DateTime(t)) },
	}
}

func timeTag(t time.Time, format, shown string) template.HTML {
	return template.HTML(fmt.Sprintf(`<time datetime="%s" data-format="%s">%s</time>`,
		t.UTC().Format(time.RFC3339), format, template.HTMLEscapeString(shown)))
}

// langCookie remembers the reader's choice of language, before sign-in
// too; both sites share it.
const langCookie = "softtoken_lang"

// langOf is the request's language: the reader's choice, else what the
// browser prefers.
func langOf(r *http.Request) lang.Lang {
	if c, err := r.Cookie(langCookie); err == nil {
		if l, err := lang.Parse(c.Value); err == nil {
			return l
		}
	}
	return lang.Match(r.Header.Get("Accept-Language"))
}

// switchLang serves the language switch, GET PREFIX/lang?to=it&back=PATH:
// it remembers the choice in a cookie, lets the site keep it too (the
// enrol site stores a signed-in user's as theirs), and goes back to the
// page, or to the site's start. It is a link, not a form, so it carries
// no CSRF token: the session cookie is SameSite=Strict, so a link from
// another site reaches it without the session and changes no user.
func (h *site[V]) switchLang(w http.ResponseWriter, r *http.Request) {
	l, err := lang.Parse(r.URL.Query().Get("to"))
	if err == nil {
		RememberLang(w, r, l)
		// The user's own language is stored at the pace new sessions may
		// start from an address: flipping it cannot flood the audit.
		if h.chose != nil && h.starts.Allow(request.ClientAddr(r), time.Now()) {
			if s := h.sessions.get(r, h.cookie, h.cfg.Now()); s != nil {
				s.mu.Lock()
				h.chose(r, s, l)
				s.mu.Unlock()
			}
		}
	}
	back := r.URL.Query().Get("back")
	if !strings.HasPrefix(back, h.prefix) || strings.ContainsAny(back, "\\?#") || strings.Contains(back, "//") {
		back = h.prefix
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
