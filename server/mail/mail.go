// Package mail composes the server's mails (the welcome mail of a new or
// reset user, and the notices of changes to an account), each in the
// user's language (texts.go), and sends them: to an outbox folder, one readable .eml file
// per message (the default, for trials and for admins who forward mail
// themselves), or over SMTP with STARTTLS. Sending is retried.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/outbox"
	"github.com/softtoken/softtoken/server/retry"
)

// Message is one plain-text mail.
type Message struct {
	From, To, Subject, Body string
	Date                    time.Time
}

var addrPattern = regexp.MustCompile(`^[^\s<>@,;"]+@[^\s<>@,;"]+$`)

// Validate refuses addresses that are not plain user@host (which also
// rules out header injection).
func (m Message) Validate() error {
	for _, a := range []string{m.From, m.To} {
		if !addrPattern.MatchString(a) {
			return fmt.Errorf("%q is not a plain e-mail address", a)
		}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return errors.New("the subject has a line break")
	}
	return nil
}

// Bytes is the message in RFC 5322 form with CRLF line ends.
func (m Message) Bytes() []byte {
	var b strings.Builder
	// A subject beyond ASCII (Italian's accents) is RFC 2047-encoded.
	subject := mime.QEncoding.Encode("utf-8", m.Subject)
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n", m.From, m.To, subject, m.Date.Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for line := range strings.Lines(m.Body) {
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, ".") {
			line = "." + line // SMTP dot-stuffing is harmless in a file too
		}
		b.WriteString(line + "\r\n")
	}
	return []byte(b.String())
}

// Mailer sends messages.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Outbox writes each message to Dir as an .eml file (mode 0600: welcome
// mails hold passcodes).
type Outbox struct{ Dir string }

// Send writes the message.
func (o Outbox) Send(_ context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	return outbox.Write(o.Dir, m.Date, m.To, ".eml", m.Bytes())
}

// SMTP sends through a mail server that supports STARTTLS; it refuses to
// send in clear text.
type SMTP struct {
	Addr               string // host:port
	Username, Password string // empty: no authentication
	// TLS checks the server's certificate; nil uses the system's roots
	// with the host of Addr.
	TLS *tls.Config
	// Timeout bounds the connection and the whole exchange of a message
	// (DefaultTimeout if not above zero).
	Timeout time.Duration
}

// DefaultTimeout is SMTP's Timeout unless it says otherwise.
const DefaultTimeout = 30 * time.Second

// Send delivers one message.
func (s SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("smtp address %q: %w", s.Addr, err)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return errors.New("smtp: the server does not offer STARTTLS; refusing to send a passcode in clear text")
	}
	cfg := s.TLS
	if cfg == nil {
		cfg = &tls.Config{ServerName: host}
	}
	if err := c.StartTLS(cfg); err != nil {
		return fmt.Errorf("smtp: starttls: %w", err)
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return smtpError("authentication", err)
		}
	}
	if err := c.Mail(m.From); err != nil {
		return smtpError("MAIL FROM", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return smtpError("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := w.Write(m.Bytes()); err != nil {
		return smtpError("the message", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("the message", err)
	}
	return smtpError("QUIT", c.Quit())
}

// smtpError says which step of the conversation failed, and with which
// reply code, but never the mail server's own words: a server may quote
// the message back, and a welcome mail holds a passcode.
func smtpError(step string, err error) error {
	var reply *textproto.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &reply):
		return fmt.Errorf("smtp: the mail server refused %s with code %d", step, reply.Code)
	}
	return fmt.Errorf("smtp: %s failed: the connection broke or timed out", step)
}

// Retry sends with m, trying again after wait, wait*2, … up to attempts
// times in all; it returns the last error.
func Retry(m Mailer, attempts int, wait time.Duration) Mailer {
	return MailerFunc(retry.Send(m.Send, attempts, wait))
}

// MailerFunc is a function that sends a message, as a Mailer.
type MailerFunc func(context.Context, Message) error

// Send calls f.
func (f MailerFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// Welcome is the welcome mail of a new or reset user (guide, section 4.2),
// in the user's language l: the User ID, the enrol URL, the initial
// passcode, what to do, and the 30-day limit.
func Welcome(l lang.Lang, from, to, userID, enrolURL, passcode string, expires, now time.Time) Message {
	w := wordsOf(l)
	body := fmt.Sprintf(w.welcome, userID, enrolURL, passcode, url.QueryEscape(userID), l.DateTime(expires))
	return Message{From: from, To: to, Subject: w.welcomeSubject, Body: body, Date: now}
}

// TempPasscodeNotice tells a user, in their language l, that a temporary
// passcode was issued for their account, so that a stranger's request
// does not go unnoticed. It never contains the passcode.
func TempPasscodeNotice(l lang.Lang, from, to, userID string, expires, now time.Time) Message {
	w := wordsOf(l)
	body := fmt.Sprintf(w.temp, userID, l.DateTime(now), l.DateTime(expires))
	return Message{From: from, To: to, Subject: w.tempSubject, Body: body, Date: now}
}

// PhoneNotice tells a user, in their language l, that the mobile number
// for their SMS passcodes changed, so that a stranger's change does not go
// unnoticed. It shows only the end of the new number.
func PhoneNotice(l lang.Lang, from, to, userID, maskedPhone string, now time.Time) Message {
	w := wordsOf(l)
	body := fmt.Sprintf(w.phone, userID, l.DateTime(now), maskedPhone)
	return Message{From: from, To: to, Subject: w.phoneSubject, Body: body, Date: now}
}

// TokenNotice tells a user, in their language l, that a soft token was
// enrolled for their account (replaced says it took the place of an
// earlier token or of SMS passcodes, which no longer work), so that a
// stranger's enrolment does not go unnoticed. It never contains the seed.
func TokenNotice(l lang.Lang, from, to, userID, serial string, replaced bool, now time.Time) Message {
	w := wordsOf(l)
	var before string
	if replaced {
		before = w.tokenReplaced
	}
	body := fmt.Sprintf(w.token, serial, userID, l.DateTime(now), before)
	return Message{From: from, To: to, Subject: w.tokenSubject, Body: body, Date: now}
}

// PasswordNotice tells a user, in their language l, that their password
// changed (byAdmin: an administrator set a new one, which they must change
// at their next sign-in), so that a stranger's change does not go
// unnoticed. It never contains the password.
func PasswordNotice(l lang.Lang, from, to, userID string, byAdmin bool, now time.Time) Message {
	w := wordsOf(l)
	how := w.passwordChanged
	if byAdmin {
		how = w.passwordReset
	}
	body := fmt.Sprintf(w.password, userID, how, l.DateTime(now))
	return Message{From: from, To: to, Subject: w.passwordSubject, Body: body, Date: now}
}

// DeskChange is what the self-help desk did for a user, for DeskNotice:
// what it issued, what waits, and the links of the case.
type DeskChange struct {
	// TempExpires is when the temporary passcode it issued expires (zero:
	// none was issued).
	TempExpires time.Time
	// Serial is a new token waiting, Phone (masked) a new number waiting.
	Serial, Phone string
	// Until is when what waits replaces the user's present token or
	// number, unless confirmed before at ConfirmURL.
	Until      time.Time
	ConfirmURL string
	// NotMeURL revokes what the desk issued and locks the account.
	NotMeURL string
}

// DeskNotice tells a user, in their language l, what the self-help desk
// issued for their account or what was set up with it and waits for their
// confirmation, with the link that confirms it and the one that says "this
// was not me". It never contains a passcode or a seed.
func DeskNotice(l lang.Lang, from, to, userID string, c DeskChange, now time.Time) Message {
	w := wordsOf(l)
	var b strings.Builder
	fmt.Fprintf(&b, w.desk, userID, l.DateTime(now))
	if !c.TempExpires.IsZero() {
		fmt.Fprintf(&b, w.deskTemp, l.DateTime(c.TempExpires))
	}
	if c.Serial != "" {
		fmt.Fprintf(&b, w.deskToken, c.Serial)
	}
	if c.Phone != "" {
		fmt.Fprintf(&b, w.deskPhone, c.Phone)
	}
	if c.Serial != "" || c.Phone != "" {
		fmt.Fprintf(&b, w.deskPending, l.DateTime(c.Until), c.ConfirmURL)
	}
	fmt.Fprintf(&b, w.deskNotMe, c.NotMeURL)
	return Message{From: from, To: to, Subject: w.deskSubject, Body: b.String(), Date: now}
}

// AnswersNotice tells a user, in their language l, that the answers to
// their security questions changed, so that a stranger's change does not
// go unnoticed. It never contains an answer.
func AnswersNotice(l lang.Lang, from, to, userID string, now time.Time) Message {
	w := wordsOf(l)
	body := fmt.Sprintf(w.answers, userID, l.DateTime(now))
	return Message{From: from, To: to, Subject: w.answersSubject, Body: body, Date: now}
}
