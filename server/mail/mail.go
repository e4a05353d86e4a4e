// Package mail composes the server's mails (the welcome mail of a new or
// reset user) and sends them: to an outbox folder, one readable .eml file
// per message (the default, for trials and for admins who forward mail
// themselves), or over SMTP with STARTTLS. Sending is retried.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"time"

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
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n", m.From, m.To, m.Subject, m.Date.Format(time.RFC1123Z))
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
	TLS     *tls.Config
	Timeout time.Duration
}

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
		timeout = 30 * time.Second
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

// Welcome is the welcome mail of a new or reset user (guide, section 4.2):
// the user ID, the enrol URL, the initial passcode, what to do, and the
// 30-day limit.
func Welcome(from, to, userID, enrolURL, passcode string, expires, now time.Time) Message {
	body := fmt.Sprintf(`### Please ignore this e-mail if you have already enrolled ###

Your access uses two-factor authentication: a password, and a passcode
from a soft token.

Your user ID: %[1]s
Enrol URL:    %[2]s
Passcode:     %[3]s

PC soft token
  Open softtoken, press Add, and enter the enrol URL above, your user ID,
  your password (given to you separately) and the passcode %[3]s.
  Then choose two security questions. The token then shows your passcodes.

Smartphone app or SMS
  Open %[2]s?userid=%[4]s
  and sign in with your password and the passcode %[3]s.

The passcode works once. If you do not enrol by %[5]s
(30 days), your account will be disabled.

Your mobile number stays confidential and is used only for SMS passcodes.
`, userID, enrolURL, passcode, url.QueryEscape(userID), expires.UTC().Format("2 January 2006 15:04 MST"))
	return Message{From: from, To: to, Subject: "Two-factor authentication enrolment", Body: body, Date: now}
}

// TempPasscodeNotice tells a user that a temporary passcode was issued for
// their account, so that a stranger's request does not go unnoticed. It
// never contains the passcode.
func TempPasscodeNotice(from, to, userID string, expires, now time.Time) Message {
	body := fmt.Sprintf(`A temporary passcode was issued for your user ID %s on %s.
It is valid until %s.

If you did not ask for it, contact your administrator at once: someone
may know your password.
`, userID, now.UTC().Format("2 January 2006 15:04 MST"), expires.UTC().Format("2 January 2006 15:04 MST"))
	return Message{From: from, To: to, Subject: "A temporary passcode was issued for your account", Body: body, Date: now}
}

// PhoneNotice tells a user that the mobile number for their SMS passcodes
// changed, so that a stranger's change does not go unnoticed. It shows
// only the end of the new number.
func PhoneNotice(from, to, userID, maskedPhone string, now time.Time) Message {
	body := fmt.Sprintf(`The mobile number for the SMS passcodes of your user ID %s was
changed on %s to %s.

If you did not change it, contact your administrator at once: someone
may know your password.
`, userID, now.UTC().Format("2 January 2006 15:04 MST"), maskedPhone)
	return Message{From: from, To: to, Subject: "Your mobile number for passcodes was changed", Body: body, Date: now}
}

// TokenNotice tells a user that a soft token was enrolled for their
// account (replaced says it took the place of an earlier token or of SMS
// passcodes, which no longer work), so that a stranger's enrolment does
// not go unnoticed. It never contains the seed.
func TokenNotice(from, to, userID, serial string, replaced bool, now time.Time) Message {
	var before string
	if replaced {
		before = "\nIt replaces the token (or SMS passcodes) you had before, which no longer work.\n"
	}
	body := fmt.Sprintf(`A soft token (serial %s) was enrolled for your user ID %s on %s.
%s
If you did not enrol it, contact your administrator at once: someone
may know your password.
`, serial, userID, now.UTC().Format("2 January 2006 15:04 MST"), before)
	return Message{From: from, To: to, Subject: "A soft token was enrolled for your account", Body: body, Date: now}
}

// PasswordNotice tells a user that their password changed (byAdmin: an
// administrator set a new one, which they must change at their next
// sign-in), so that a stranger's change does not go unnoticed. It never
// contains the password.
func PasswordNotice(from, to, userID string, byAdmin bool, now time.Time) Message {
	how := "was changed"
	if byAdmin {
		how = "was reset by an administrator (you choose a new one at your next sign-in)"
	}
	body := fmt.Sprintf(`The password of your user ID %s %s on %s.

If you did not change it or ask for the reset, contact your administrator
at once.
`, userID, how, now.UTC().Format("2 January 2006 15:04 MST"))
	return Message{From: from, To: to, Subject: "Your password was changed", Body: body, Date: now}
}
