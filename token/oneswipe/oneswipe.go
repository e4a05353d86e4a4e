// Package oneswipe is the format of One Swipe QR codes (guide, section
// 4.2.4), shared by the desktop app, which shows and scans them, and the
// companion server, which issues and reads them. There are two kinds:
//
//   - an [Enrolment] code, issued by the server's enrol page to a signed-in
//     user: it carries the enrol URL, the user ID and a single-use secret,
//     and enrols the desktop app without typing;
//   - a [SignIn] code, shown by the desktop app for one of its tokens: it
//     carries the user ID and the token's current passcode, and fills the
//     server's sign-in page read by a webcam.
//
// Both are URIs so that any QR reader shows what they are:
//
//	softtoken://enrol?v=1&url=ENROL_URL&userid=USER&code=SECRET&exp=UNIX
//	softtoken://signin?v=1&userid=USER&passcode=DIGITS&serial=SERIAL
//
// docs/protocol.md documents the format and how the server uses it. The
// parsers take untrusted input (any QR code a camera sees): they bound
// every field and never put a secret or the input into an error.
package oneswipe

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Version is the only payload version this package writes and reads.
const Version = "1"

// Scheme is the URI scheme of One Swipe codes.
const Scheme = "softtoken"

// CodeLen is the length of an enrolment secret: 26 base32 characters, 130
// bits, of which 128 are random.
const CodeLen = 26

// maxPayload bounds the input; real payloads are under 300 bytes.
const maxPayload = 1024

// ErrNotOneSwipe is wrapped by Parse errors for text that is not a One
// Swipe code at all, so that a scanner can try other formats or say "this
// QR code is not a token".
var ErrNotOneSwipe = errors.New("not a One Swipe code")

// Error is a malformed One Swipe code: which field is wrong and why. It
// never holds the secret or the passcode.
type Error struct {
	Field string
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("One Swipe code: %s: %v", e.Field, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &Error{Field: field, Err: fmt.Errorf(format, args...)}
}

// Enrolment is a One Swipe enrolment code: the desktop app enrols UserID
// at EnrolURL, proving it with Code instead of a password and passcode.
type Enrolment struct {
	// EnrolURL is the server's enrol page, as a welcome mail gives it.
	EnrolURL string
	UserID   string
	// Code is the single-use enrolment secret (base32, [CodeLen] long).
	Code string
	// Expires is when the server stops accepting Code.
	Expires time.Time
}

// String is the payload to put in a QR code.
func (e Enrolment) String() string {
	q := url.Values{}
	q.Set("v", Version)
	q.Set("url", e.EnrolURL)
	q.Set("userid", e.UserID)
	q.Set("code", e.Code)
	q.Set("exp", strconv.FormatInt(e.Expires.Unix(), 10))
	return Scheme + "://enrol?" + q.Encode()
}

// GoString keeps the secret out of %#v.
func (e Enrolment) GoString() string {
	return fmt.Sprintf("oneswipe.Enrolment{EnrolURL:%q, UserID:%q, Code:[secret], Expires:%s}", e.EnrolURL, e.UserID, e.Expires.Format(time.RFC3339))
}

// SignIn is a One Swipe sign-in code: UserID's current Passcode from the
// token with serial number Serial.
type SignIn struct {
	UserID   string
	Passcode string
	// Serial names the token, so that the server can tell a code of a
	// replaced token from a wrong one.
	Serial string
}

// String is the payload to put in a QR code.
func (s SignIn) String() string {
	q := url.Values{}
	q.Set("v", Version)
	q.Set("userid", s.UserID)
	q.Set("passcode", s.Passcode)
	if s.Serial != "" {
		q.Set("serial", s.Serial)
	}
	return Scheme + "://signin?" + q.Encode()
}

// GoString keeps the passcode out of %#v.
func (s SignIn) GoString() string {
	return fmt.Sprintf("oneswipe.SignIn{UserID:%q, Passcode:[secret], Serial:%q}", s.UserID, s.Serial)
}

// Parse reads a One Swipe payload and returns an [Enrolment] or a
// [SignIn]. Text that is not a softtoken:// URI gives an error wrapping
// [ErrNotOneSwipe].
func Parse(s string) (any, error) {
	kind, q, err := split(s)
	if err != nil {
		return nil, err
	}
	var v any
	switch kind {
	case "enrol":
		v, err = parseEnrolment(q)
	case "signin":
		v, err = parseSignIn(q)
	default:
		err = fieldErr("kind", "unknown kind %q", clip(kind))
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// ParseEnrolment is [Parse] for a payload that must be an enrolment code.
func ParseEnrolment(s string) (Enrolment, error) { return parseAs[Enrolment](s, "an enrolment") }

// ParseSignIn is [Parse] for a payload that must be a sign-in code.
func ParseSignIn(s string) (SignIn, error) { return parseAs[SignIn](s, "a sign-in") }

func parseAs[T Enrolment | SignIn](s, want string) (T, error) {
	var zero T
	v, err := Parse(s)
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, fieldErr("kind", "not %s code", want)
	}
	return t, nil
}

func split(s string) (string, url.Values, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(strings.ToLower(s), Scheme+"://") {
		return "", nil, &Error{Field: "uri", Err: ErrNotOneSwipe}
	}
	if len(s) > maxPayload {
		return "", nil, fieldErr("uri", "too long (%d bytes, at most %d)", len(s), maxPayload)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", nil, fieldErr("uri", "not a valid URI") // url's error repeats the secret
	}
	if u.User != nil || u.Port() != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return "", nil, fieldErr("uri", "unexpected user, port, path or fragment")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", nil, fieldErr("uri", "malformed query")
	}
	for k, vs := range q {
		if len(vs) > 1 {
			return "", nil, fieldErr(clip(k), "given more than once")
		}
	}
	if v := q.Get("v"); v != Version {
		return "", nil, fieldErr("v", "version %q is not supported (this app reads %s): update the app", clip(v), Version)
	}
	return strings.ToLower(u.Host), q, nil
}

func parseEnrolment(q url.Values) (Enrolment, error) {
	var e Enrolment
	raw := q.Get("url")
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(raw) > 512 {
		return e, fieldErr("url", "not an http(s) enrol URL")
	}
	e.EnrolURL = raw
	if e.UserID, err = userID(q.Get("userid")); err != nil {
		return e, err
	}
	code := q.Get("code")
	if len(code) != CodeLen || strings.TrimLeft(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return e, fieldErr("code", "not %d base32 characters", CodeLen)
	}
	e.Code = code
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	if err != nil || exp <= 0 || exp > 1<<40 {
		return e, fieldErr("exp", "not a time")
	}
	e.Expires = time.Unix(exp, 0)
	return e, nil
}

func parseSignIn(q url.Values) (SignIn, error) {
	var s SignIn
	var err error
	if s.UserID, err = userID(q.Get("userid")); err != nil {
		return s, err
	}
	p := q.Get("passcode")
	if len(p) < 6 || len(p) > 10 || strings.Trim(p, "0123456789") != "" {
		return s, fieldErr("passcode", "not 6 to 10 digits")
	}
	s.Passcode = p
	s.Serial = q.Get("serial")
	if len(s.Serial) > 64 || strings.TrimFunc(s.Serial, func(r rune) bool { return r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-') }) != "" {
		return s, fieldErr("serial", "not a serial number")
	}
	return s, nil
}

// userID checks a user ID: 1 to 128 bytes of printable UTF-8.
func userID(s string) (string, error) {
	if s == "" || len(s) > 128 || !utf8.ValidString(s) {
		return "", fieldErr("userid", "missing, too long or not text")
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "", fieldErr("userid", "holds a control character")
		}
	}
	return s, nil
}

// clip shortens attacker-chosen text before it goes into an error.
func clip(s string) string {
	if len(s) > 20 || !utf8.ValidString(s) {
		return strconv.Quote(s[:min(len(s), 20)]) + "…"
	}
	return s
}

// NewCode returns a fresh enrolment secret: 128 random bits in base32.
func NewCode() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new One Swipe code: %w", err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b), nil
}
