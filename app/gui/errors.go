package gui

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/softtoken/softtoken/app/autotype"
	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/enrolclient/pac"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
	"github.com/softtoken/softtoken/token/qr"
)

// args is the data of a translated text's template.
type args = map[string]any

// errKey is an error a user can act on and the key of its translation.
type errKey struct {
	err error
	key string
}

// known are the errors a user can act on, with their translation keys.
// The packages below the window speak English (they serve the command
// line and the logs too); the window picks its own words here.
var known = []errKey{
	{token.ErrFull, "err.full"},
	{token.ErrNotFound, "err.notfound"},
	{token.ErrDuplicateLabel, "err.duplicate"},
	{keyringstore.ErrUnavailable, "err.keyring.unavailable"},
	{keyringstore.ErrLocked, "err.keyring.locked"},
	{keyringstore.ErrTooBig, "err.keyring.toobig"},
	{keyringstore.ErrBusy, "err.busy"},
	{scan.ErrNoCode, "err.scan.nocode"},
	{scan.ErrNotToken, "err.scan.nottoken"},
	{scan.ErrSignInCode, "err.scan.signin"},
	{scan.ErrNoClipboardImage, "err.scan.noclipimage"},
	{scan.ErrNoClipboard, "err.scan.noclipboard"},
	{scan.ErrNoCamera, "err.scan.nocamera"},
	{scan.ErrNoScreen, "err.scan.noscreen"},
	{qr.ErrTooLarge, "err.scan.toolarge"},
	{qr.ErrFormat, "err.scan.format"},
	{autotype.ErrNoDisplay, "err.nodisplay"},
}

// Message is what the window says of err, in the app's language: its own
// words for the errors a user can act on (enrolment errors by their
// enrolclient kind); any other error's own English text, which then holds
// details no translation can know.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var ee *enrolclient.Error
	if errors.As(err, &ee) {
		return enrolMessage(err, "")
	}
	if key := keyOf(err, known); key != "" {
		return T(key, args{"Max": token.MaxTokens})
	}
	return T("err.other", args{"Detail": sentence(err.Error())})
}

// enrolKeys are the translation keys of enrolclient's kinds, where the
// kind alone says what to do; the others depend on the field too (see
// enrolKey).
var enrolKeys = map[enrolclient.Kind]string{
	enrolclient.KindServer:      "enrol.server",
	enrolclient.KindBadURL:      "enrol.badurl",
	enrolclient.KindInsecure:    "enrol.insecure",
	enrolclient.KindTLS:         "enrol.tls",
	enrolclient.KindWrongLogin:  "enrol.wronglogin",
	enrolclient.KindLocked:      "enrol.locked",
	enrolclient.KindDisabled:    "enrol.disabled",
	enrolclient.KindQuestions:   "enrol.questions",
	enrolclient.KindBadAnswers:  "enrol.badanswers",
	enrolclient.KindFull:        "err.full",
	enrolclient.KindProxy:       "enrol.proxy",
	enrolclient.KindCancelled:   "enrol.server", // never shown: the user cancelled
	enrolclient.KindUnreachable: "enrol.unreachable",
	enrolclient.KindTimeout:     "enrol.timeout",
}

// inputKeys are the translation keys of an empty or malformed field.
var inputKeys = map[string]string{"userid": "enrol.userid", "password": "enrol.password", "passcode": "enrol.passcode"}

// enrolKey is the translation key of an enrolment error.
func enrolKey(err error) string {
	kind, field := enrolclient.KindOf(err), enrolclient.FieldOf(err)
	switch {
	case kind == enrolclient.KindInput && inputKeys[field] != "":
		return inputKeys[field]
	case kind == enrolclient.KindInput:
		return "enrol.badurl"
	case field == "oneswipe" && (kind == enrolclient.KindWrongPasscode || kind == enrolclient.KindExpiredPasscode):
		return "enrol.oneswipe.refused"
	case kind == enrolclient.KindWrongPasscode:
		return "enrol.wrongpasscode"
	case kind == enrolclient.KindExpiredPasscode:
		return "enrol.expiredpasscode"
	case (kind == enrolclient.KindTimeout || kind == enrolclient.KindUnreachable) && field == "":
		// Past the first message: the session broke, maybe at Confirm.
		return "enrol.interrupted"
	}
	if key, ok := enrolKeys[kind]; ok {
		return key
	}
	return "enrol.server"
}

// detailKinds are the enrolment errors whose English text holds details
// no translation can: the server's reason for refusing answers or a
// passcode, its result code, the proxy's name and answer.
var detailKinds = []enrolclient.Kind{enrolclient.KindBadAnswers, enrolclient.KindWrongPasscode,
	enrolclient.KindServer, enrolclient.KindProxy}

// enrolMessage is what the Add form says of an enrolment error; enrolURL
// names the server. In English, the errors of detailKinds keep
// enrolclient's own text, details included; in Italian they are left out.
func enrolMessage(err error, enrolURL string) string {
	kind := enrolclient.KindOf(err)
	if Language() == English && slices.Contains(detailKinds, kind) {
		return sentence(err.Error())
	}
	host := strings.TrimSpace(enrolURL)
	if u, perr := url.Parse(host); perr == nil && u.Host != "" {
		host = u.Host
	}
	// A proxy's failure names the proxy and its answer in every language
	// (issue #14: which proxy, and what it answered).
	var ee *enrolclient.Error
	if key := pacKey(err); kind == enrolclient.KindProxy && key != "" && errors.As(err, &ee) && ee.ProxyScript != "" {
		return T(key, args{"Script": ee.ProxyScript, "Proxies": ee.Proxy})
	}
	if kind == enrolclient.KindProxy && errors.As(err, &ee) && ee.Proxy != "" {
		if errors.Is(err, enrolclient.ErrProxySignIn) {
			return T("enrol.proxy.ntlm", args{"Proxy": ee.Proxy})
		}
		if ee.ProxyAnswer == "" {
			return T("enrol.proxy.silent", args{"Proxy": ee.Proxy})
		}
		return T("enrol.proxy.refused", args{"Proxy": ee.Proxy, "Answer": ee.ProxyAnswer})
	}
	return T(enrolKey(err), args{"Host": host, "Max": token.MaxTokens})
}

// pacKeys are the translation keys of the failures of an automatic proxy
// configuration (PAC) script, by their cause.
var pacKeys = []errKey{
	{pac.ErrFetch, "enrol.pac.fetch"},
	{pac.ErrScript, "enrol.pac.script"},
	{pac.ErrResult, "enrol.pac.result"},
	{enrolclient.ErrNoProxyAnswers, "enrol.pac.allfailed"},
}

// pacKey is the translation key of a PAC script's failure, "" for any
// other error.
func pacKey(err error) string {
	return keyOf(err, pacKeys)
}

// keyOf is the key of the first of keys that err is, "" for none.
func keyOf(err error, keys []errKey) string {
	for _, k := range keys {
		if errors.Is(err, k.err) {
			return k.key
		}
	}
	return ""
}
