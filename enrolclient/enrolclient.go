// Package enrolclient enrols a soft token with the companion server, for
// the desktop app's Add dialog and the `softtoken enrol` command alike.
//
// An enrolment is a few steps the caller drives, each synchronous:
//
//	e, err := client.Begin(ctx, params) // connect, prove the user
//	defer e.Close()
//	for e.Questions() != nil {          // only when the server asks
//		err = e.Answer(ctx, answers)    // KindBadAnswers: ask again
//	}
//	res, err := e.Confirm(ctx)          // store the token, confirm it
//
// The user proves their password and a passcode (the initial passcode of
// the welcome mail, or the current passcode of their old PC's token), or
// scans a One Swipe code; the server answers with a new seed, after two
// security questions if the user has none yet; Confirm stores the seed in
// the token store and confirms it with a code of the new seed. Only then
// does the server make the new token the user's only one, so a failure at
// any step leaves the previous token working and nothing half-stored: a
// token stored before a failed confirmation is deleted again. Re-enrolling
// an account the store holds replaces its token in place.
//
// Every network step has its own timeout ([Client.StepTimeout]), and
// cancelling a step's context, or [Enrolment.Close] from another goroutine
// (a Cancel button), ends it at once; only the confirmation, whose answer
// decides whether the new token stays, always runs to its end. Every
// failure is an [*Error] whose message says what to do and whose Field
// names the input it concerns. [Result.ClockWarning] says when the PC's
// clock is too far off for its passcodes to work.
package enrolclient

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// Params is what the user types.
type Params struct {
	// URL is the enrol URL, as in the welcome mail: https://HOST/secenrol/.
	URL      string
	UserID   string
	Password string
	// Passcode is the initial passcode, or the old token's current one.
	Passcode string
	// OneSwipe is the secret of a scanned One Swipe enrolment code
	// (token/oneswipe); when set, it proves the user instead of Password
	// and Passcode.
	OneSwipe string
	// Answer is for Enrol only: it is asked when the server wants security
	// questions; nil means nobody can answer, and such an enrolment fails
	// with KindQuestions. Begin ignores it.
	Answer Questioner
}

// Client enrols into a token store.
type Client struct {
	Store token.Store
	// TLS configures certificate checks; nil uses the system's roots.
	TLS *tls.Config
	// Proxy is the proxy for a request to a URL (https:// or http://), nil
	// for none. When Proxy is nil, the proxy is found, at every
	// enrolment, in this order: the ProxyPAC script; HTTPS_PROXY,
	// HTTP_PROXY and NO_PROXY; on Windows, the user's Internet Settings:
	// their automatic configuration script (AutoConfigURL), else their
	// proxy; else none. Only http:// proxies are supported, with basic
	// authentication when the proxy URL has a user and password, and
	// NTLM (or Negotiate offering NTLM) when the proxy asks for it: as
	// the URL's user (http://DOMAIN%5Cuser:password@host:port) or, on
	// Windows and without one, as the logged-on user.
	Proxy func(*url.URL) (*url.URL, error)
	// ProxyPAC is the URL (http, https or file) of a proxy
	// auto-configuration script to choose the proxy with (package pac):
	// the proxies it names are tried in order, the first that answers is
	// used. The app sets it from --proxy-pac or SOFTTOKEN_PROXY_PAC.
	ProxyPAC string
	// StepTimeout bounds every network step (default 20 s).
	StepTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Result is a finished enrolment.
type Result struct {
	Entry token.Entry
	// ClockSkew is the server's clock minus this PC's. Passcodes fail when
	// it is more than about 30 s: see ClockWarning.
	ClockSkew time.Duration
	// Replaced says an older token of the same account in this store was
	// replaced (it could no longer work).
	Replaced bool
	// Waits, when set, is when the new token takes over at the latest:
	// it was enrolled with what the server's self-help desk gave, so it
	// waits for the user's confirmation through the link the server
	// mailed them (docs/web.md). Until then the passcodes it shows are
	// refused, and an older token of the account, kept, still works.
	Waits time.Time
}

// MaxClockSkew is how far the PC's clock may be off before passcodes fail.
const MaxClockSkew = 30 * time.Second

// ClockWarning is a sentence for the user when the PC's clock is too far
// from the server's, or "" when it is fine.
func (r Result) ClockWarning() string {
	skew := r.ClockSkew
	dir := "behind"
	if skew < 0 {
		skew, dir = -skew, "ahead of"
	}
	if skew <= MaxClockSkew {
		return ""
	}
	return fmt.Sprintf("This PC's clock is %s %s the server's: its passcodes will be refused. Set the clock right (turn on automatic time).",
		skew.Round(time.Second), dir)
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) timeout() time.Duration {
	if c.StepTimeout > 0 {
		return c.StepTimeout
	}
	return 20 * time.Second
}

func checkInput(p Params) error {
	switch {
	case strings.TrimSpace(p.UserID) == "":
		return newErr(KindInput, "userid", "type your user ID as in your welcome mail", nil)
	case p.OneSwipe != "":
		return nil
	case p.Password == "":
		return newErr(KindInput, "password", "type your password", nil)
	}
	code := strings.ReplaceAll(p.Passcode, " ", "")
	if len(code) < 6 || len(code) > 8 || strings.Trim(code, "0123456789") != "" {
		return newErr(KindInput, "passcode", "type the passcode from your welcome mail (6 digits), a temporary passcode (8 digits), or the one your old PC shows now", nil)
	}
	return nil
}

// findAccount finds a token of the same account on the same server.
func findAccount(entries []token.Entry, enrolURL, userID string) (token.Entry, bool) {
	u, _ := url.Parse(enrolURL)
	for _, e := range entries {
		if e.Err != nil || !strings.EqualFold(e.Token.Account, userID) {
			continue
		}
		if eu, err := url.Parse(e.Token.EnrolURL); err == nil && strings.EqualFold(eu.Host, u.Host) {
			return e, true
		}
	}
	return token.Entry{}, false
}

func uniqueLabel(entries []token.Entry, label string) string {
	taken := map[string]bool{}
	for _, e := range entries {
		taken[e.Token.Label] = true
	}
	for i := 2; taken[label]; i++ {
		label = fmt.Sprintf("%s (%d)", strings.TrimSuffix(label, fmt.Sprintf(" (%d)", i-1)), i)
	}
	return label
}

func tokenFrom(r wire.Response, enrolURL, userID string) (token.Token, error) {
	secret, err := token.ParseSecret(r.TwoFASeed)
	if err != nil {
		return token.Token{}, newErr(KindServer, "", "the enrolment server sent an unusable token: contact your administrator", err)
	}
	u, _ := url.Parse(enrolURL)
	issuer := u.Hostname()
	account := userID
	if r.UserID != "" {
		account = r.UserID
	}
	t := token.Token{
		Label: token.DefaultLabel(issuer, account), Issuer: issuer, Account: account,
		EnrolURL: enrolURL, Serial: r.Serial, Secret: secret,
		Params: token.Params{Type: token.TOTP, Algorithm: token.Algorithm(r.Algorithm), Digits: r.Digits, Period: r.Period},
	}
	if err := t.Validate(); err != nil {
		return token.Token{}, newErr(KindServer, "", "the enrolment server sent an unusable token ("+err.Error()+"): contact your administrator", err)
	}
	return t, nil
}

// URLs checks the enrol URL a user typed and returns it cleaned up and the
// websocket URL of the server behind it: https://HOST/secenrol/ is served
// by wss://HOST/ws. A bare host name means https://HOST/secenrol/. Plain
// http:// is accepted for this computer (loopback) only.
func URLs(typed string) (enrolURL, wsURL string, err error) {
	s := strings.TrimSpace(typed)
	if s == "" {
		return "", "", newErr(KindBadURL, "url", "type the enrol URL from your welcome mail, e.g. https://secureauth.example.com/secenrol/", nil)
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return "", "", newErr(KindBadURL, "url", "the enrol URL is not valid: type it as in your welcome mail, e.g. https://secureauth.example.com/secenrol/", nil)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", "", newErr(KindInsecure, "url", "the enrol URL must start with https:// (http:// is allowed only for a server on this computer)", nil)
	}
	u.RawQuery, u.Fragment = "", ""
	if u.Path == "" || u.Path == "/" {
		u.Path = "/secenrol/"
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if n := len(u.String()); n > token.MaxURLBytes {
		return "", "", newErr(KindBadURL, "url", fmt.Sprintf("the enrol URL is too long (%d characters, at most %d): type it as in your welcome mail", n, token.MaxURLBytes), nil)
	}
	ws := *u
	ws.Scheme = map[string]string{"https": "wss", "http": "ws"}[u.Scheme]
	ws.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "secenrol")
	ws.Path = strings.TrimSuffix(ws.Path, "/") + "/ws"
	return u.String(), ws.String(), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
