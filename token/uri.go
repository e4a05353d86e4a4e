package token

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ErrNotOTPAuth is wrapped by [ParseURI] errors for text that is not an
// otpauth:// URI at all, so that a scanner can say "this QR code is not a
// token" rather than "this token is malformed".
var ErrNotOTPAuth = errors.New("not an otpauth:// URI")

// URIError is a malformed otpauth:// URI: which part is wrong and why. It
// never contains the secret, nor the URI itself (which holds the secret).
type URIError struct {
	// Field is the part of the URI at fault: "uri", "type", "label",
	// "issuer", "secret", "algorithm", "digits", "period" or "counter".
	Field string
	Err   error
}

func (e *URIError) Error() string {
	return fmt.Sprintf("otpauth URI: %s: %v", e.Field, e.Err)
}

func (e *URIError) Unwrap() error { return e.Err }

func uriErr(field, format string, args ...any) error {
	return &URIError{Field: field, Err: fmt.Errorf(format, args...)}
}

// maxURIBytes bounds the input: a real Key URI is a few hundred bytes, and a
// QR code holds at most about 4 KB.
const maxURIBytes = 4096

// ParseURI parses an otpauth:// Key URI (the format of Google Authenticator's
// QR codes) into a token labelled with [DefaultLabel]:
//
//	otpauth://TYPE/[ISSUER:]ACCOUNT?secret=BASE32[&issuer=ISSUER][&algorithm=SHA1|SHA256|SHA512][&digits=6|8][&period=30|60][&counter=N]
//
// Missing parameters take the format's defaults; counter is required for
// HOTP. Every malformed field gives a [*URIError] naming it.
func ParseURI(s string) (Token, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxURIBytes {
		return Token{}, uriErr("uri", "too long (%d bytes, at most %d)", len(s), maxURIBytes)
	}
	if !strings.HasPrefix(strings.ToLower(s), "otpauth://") {
		return Token{}, &URIError{Field: "uri", Err: ErrNotOTPAuth}
	}
	u, err := url.Parse(s)
	if err != nil {
		// url's error repeats the input, and with it the secret: say less.
		return Token{}, uriErr("uri", "not a valid URI")
	}
	if u.User != nil || u.Port() != "" || u.Fragment != "" {
		return Token{}, uriErr("uri", "unexpected user, port or fragment")
	}
	t := Token{Params: DefaultParams()}
	switch Type(strings.ToLower(u.Host)) {
	case TOTP:
		t.Type = TOTP
	case HOTP:
		t.Type = HOTP
	case "":
		return Token{}, uriErr("type", "missing (use totp or hotp)")
	default:
		return Token{}, uriErr("type", "%s is not supported (use totp or hotp)", quote(u.Host))
	}
	labelIssuer, account, err := parseLabel(u.Path)
	if err != nil {
		return Token{}, err
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Token{}, uriErr("uri", "the parameters after '?' are malformed")
	}
	for name, vals := range q {
		if len(vals) > 1 {
			return Token{}, uriErr(strings.ToLower(name), "given more than once")
		}
	}
	issuer, err := parseIssuer(labelIssuer, q)
	if err != nil {
		return Token{}, err
	}
	t.Issuer, t.Account = issuer, account
	if err := parseParams(&t, q); err != nil {
		return Token{}, err
	}
	t.Label = DefaultLabel(t.Issuer, t.Account)
	if err := t.Validate(); err != nil {
		return Token{}, uriErr("label", "%v", err)
	}
	return t, nil
}

func parseLabel(path string) (issuer, account string, err error) {
	label := strings.TrimPrefix(path, "/")
	if label == "" {
		return "", "", uriErr("label", "missing (the account name goes after the type, e.g. otpauth://totp/Example:alice)")
	}
	account = label
	if i := strings.IndexByte(label, ':'); i >= 0 {
		issuer, account = strings.TrimSpace(label[:i]), label[i+1:]
	}
	account = strings.TrimSpace(account)
	if account == "" {
		return "", "", uriErr("label", "the account name is empty")
	}
	return issuer, account, nil
}

func parseIssuer(labelIssuer string, q url.Values) (string, error) {
	param, ok := q["issuer"]
	if !ok {
		return labelIssuer, nil
	}
	issuer := strings.TrimSpace(param[0])
	if labelIssuer != "" && issuer != labelIssuer {
		return "", uriErr("issuer", "the issuer parameter %s differs from the label's issuer %s", quote(issuer), quote(labelIssuer))
	}
	if strings.Contains(issuer, ":") {
		return "", uriErr("issuer", "must not contain ':'")
	}
	return issuer, nil
}

func parseParams(t *Token, q url.Values) error {
	if !q.Has("secret") {
		return uriErr("secret", "missing")
	}
	secret, err := ParseSecret(q.Get("secret"))
	if err != nil {
		return &URIError{Field: "secret", Err: err}
	}
	t.Secret = secret
	if v, ok := q["algorithm"]; ok {
		t.Algorithm = Algorithm(strings.ToUpper(v[0]))
		if _, err := t.Algorithm.otp(); err != nil {
			return uriErr("algorithm", "%s is not supported (use SHA1, SHA256 or SHA512)", quote(v[0]))
		}
	}
	if v, ok := q["digits"]; ok {
		switch v[0] {
		case "6", "8":
			t.Digits, _ = strconv.Atoi(v[0])
		default:
			return uriErr("digits", "%s is not supported (use 6 or 8)", quote(v[0]))
		}
	}
	if v, ok := q["period"]; ok && t.Type == TOTP {
		switch v[0] {
		case "30", "60":
			t.Period, _ = strconv.Atoi(v[0])
		default:
			return uriErr("period", "%s seconds is not supported (use 30 or 60)", quote(v[0]))
		}
	}
	if t.Type == HOTP {
		t.Period = 0
		v, ok := q["counter"]
		if !ok {
			return uriErr("counter", "missing (an HOTP URI must give its counter)")
		}
		n, err := strconv.ParseUint(v[0], 10, 64)
		if err != nil {
			return uriErr("counter", "%s is not a whole number from 0 up", quote(v[0]))
		}
		t.Counter = n
	}
	return nil
}

// quote shows a user-supplied value in an error, cut short so that a hostile
// URI cannot fill a screen.
func quote(s string) string {
	const max = 24
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}

// URI is t as an otpauth:// Key URI, for a QR code or another authenticator.
// It contains the secret: show it only to its owner.
func (t Token) URI() string {
	label := escapeLabelPart(t.Account)
	if t.Issuer != "" {
		label = escapeLabelPart(t.Issuer) + ":" + label
	}
	q := url.Values{}
	q.Set("secret", t.Secret.Base32())
	if t.Issuer != "" {
		q.Set("issuer", t.Issuer)
	}
	q.Set("algorithm", string(t.Algorithm))
	q.Set("digits", strconv.Itoa(t.Digits))
	switch t.Type {
	case TOTP:
		q.Set("period", strconv.Itoa(t.Period))
	case HOTP:
		q.Set("counter", strconv.FormatUint(t.Counter, 10))
	}
	return "otpauth://" + string(t.Type) + "/" + label + "?" + q.Encode()
}

// escapeLabelPart escapes one side of the label, including ':' so that only
// the separator between issuer and account is a literal colon.
func escapeLabelPart(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}
