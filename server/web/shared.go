package web

import (
	"html/template"
	"io/fs"
	"net/http"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/request"
)

// What the operators' console (server/console) shares with these pages,
// so that it follows the same rules without a copy of them: the security
// headers, the language of a request and its cookie, the catalogues'
// words (the outcome.CODE sentences), the template functions and the
// style sheet and script.

// SetSecurityHeaders sets the headers every page answers with: the
// Content-Security-Policy, no framing, no sniffing, no referrer, no
// caching, and HSTS over HTTPS.
func SetSecurityHeaders(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
	hd.Set("Cache-Control", "no-store")
	if request.HTTPS(r) {
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// LangOf is the request's language: the reader's choice (the language
// cookie), else what the browser prefers.
func LangOf(r *http.Request) lang.Lang { return langOf(r) }

// RememberLang sets the cookie that keeps the reader's choice of
// language, shared by every site of the server.
func RememberLang(w http.ResponseWriter, r *http.Request, l lang.Lang) {
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", HttpOnly: true, Secure: request.HTTPS(r),
		SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
}

// Words writes the catalogue's key with args in l, as HTML (the
// arguments escaped); an unknown key shows as itself.
func Words(l lang.Lang, key string, args ...any) template.HTML { return translate(l, key, args...) }

// HasWords reports whether the catalogue of l has key.
func HasWords(l lang.Lang, key string) bool {
	_, ok := catalogues[l][key]
	return ok
}

// Funcs are the template functions of the pages in l (t, say, lang,
// langs, clock, when): a site of its own may override t.
func Funcs(l lang.Lang) template.FuncMap { return funcsFor(l) }

// Static is the pages' style sheet and script (style.css, time.js).
func Static() fs.FS {
	static, _ := fs.Sub(staticFS, "static")
	return static
}

// OutcomeStatus is the HTTP status of the answer to a refusal of the
// rules with code c (500 for a code it does not know).
func OutcomeStatus(c account.Code) int {
	if s, ok := outcomeStatus[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}
