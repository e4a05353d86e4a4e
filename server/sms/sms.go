// Package sms sends text messages with passcodes (guide, section 4.2.3)
// through a Sender: an Outbox folder by default (for tests, demos and
// servers whose SMS leave by another route), or an HTTP Gateway for a
// real provider, wrapped in Retry. Phone numbers are E.164 ("+" and 8 to
// 15 digits); Mask shows one without revealing it.
package sms

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/softtoken/softtoken/server/outbox"
	"github.com/softtoken/softtoken/server/retry"
)

// Message is one text message.
type Message struct {
	To   string // E.164
	Text string
	Date time.Time
}

// Sender sends text messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrBadNumber is a phone number that is not E.164.
var ErrBadNumber = errors.New("type the mobile number in international form, e.g. +44 7700 900123")

// Normalize checks a typed phone number and returns it in E.164 form:
// spaces, dots, dashes and brackets are dropped, a leading 00 becomes +.
func Normalize(typed string) (string, error) {
	s := strings.Map(func(r rune) rune {
		if strings.ContainsRune(" .-()/", r) {
			return -1
		}
		return r
	}, strings.TrimSpace(typed))
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	digits := strings.TrimPrefix(s, "+")
	if !strings.HasPrefix(s, "+") || len(digits) < 8 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" || digits[0] == '0' {
		return "", ErrBadNumber
	}
	return s, nil
}

// Mask shows the last three digits of a number only: "+44…123".
func Mask(phone string) string {
	if len(phone) < 7 {
		return "…"
	}
	return phone[:3] + "…" + phone[len(phone)-3:]
}

func (m Message) validate() error {
	if _, err := Normalize(m.To); err != nil {
		return fmt.Errorf("sms to %s: %w", Mask(m.To), err)
	}
	if m.Text == "" || len(m.Text) > 480 {
		return errors.New("sms: the text must be 1 to 480 bytes")
	}
	return nil
}

// Outbox writes each message as a text file (mode 0600) in Dir.
type Outbox struct{ Dir string }

// Send writes the message.
func (o Outbox) Send(_ context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	body := fmt.Sprintf("To: %s\nDate: %s\n\n%s\n", m.To, m.Date.UTC().Format(time.RFC3339), m.Text)
	return outbox.Write(o.Dir, m.Date, m.To, ".txt", []byte(body))
}

// Gateway sends through a provider's HTTP API. In URL and Body, {to} and
// {text} are replaced by the number and the text, escaped for a URL
// query (URL, and Body when ContentType is form-encoded) or for a JSON
// string (Body otherwise). Any 2xx answer is success.
type Gateway struct {
	URL    string
	Method string // default POST
	// Body is the request body template; empty sends none.
	Body        string
	ContentType string // default application/x-www-form-urlencoded
	// Header is an authorisation header, "Name: value", e.g.
	// "Authorization: Bearer …"; empty for none.
	Header string
	Client *http.Client // default: 10 s timeout
}

// Check reports a gateway that cannot send: a URL template that is not an
// http(s) URL, or a header not of the form "Name: value". serve checks it
// at start, so that no passcode is made for a gateway that cannot work.
func (g Gateway) Check() error {
	u, err := url.Parse(strings.NewReplacer("{to}", "to", "{text}", "text").Replace(g.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("the SMS gateway URL must be an http or https URL")
	}
	if _, _, ok := strings.Cut(g.Header, ":"); g.Header != "" && !ok {
		return errors.New(`the SMS gateway header must be "Name: value"`)
	}
	return nil
}

// Send makes one request.
func (g Gateway) Send(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	ctype := g.ContentType
	if ctype == "" {
		ctype = "application/x-www-form-urlencoded"
	}
	q := strings.NewReplacer("{to}", url.QueryEscape(m.To), "{text}", url.QueryEscape(m.Text))
	body := q.Replace(g.Body)
	if strings.Contains(ctype, "json") {
		body = strings.NewReplacer("{to}", jsonEscape(m.To), "{text}", jsonEscape(m.Text)).Replace(g.Body)
	}
	method := g.Method
	if method == "" {
		method = http.MethodPost
	}
	var rd io.Reader
	if g.Body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, q.Replace(g.URL), rd)
	if err != nil {
		// The error would quote the URL, text and passcode included.
		return errors.New("sms gateway: the URL is not valid with the message in it: check --sms-url")
	}
	if g.Body != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if g.Header != "" {
		name, value, ok := strings.Cut(g.Header, ":")
		if !ok {
			return errors.New(`sms gateway: the header must be "Name: value"`)
		}
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	client := g.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirects}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway %s: %s", req.URL.Host, failure(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		// The status code only: the reason phrase after it is the
		// gateway's to write, and may quote the text.
		return fmt.Errorf("sms gateway %s: answered %d %s", req.URL.Host, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return nil
}

// noRedirects keeps the request, text and passcode included, from going
// wherever the gateway points: a redirect is an answer that is not 2xx.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// failure says why a request to the gateway failed in words of its own,
// never in the error's: that may quote the URL, or what the gateway
// answered (a status line, a Location), and with them the text and its
// passcode.
func failure(err error) string {
	var netErr net.Error
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "no answer in time"
	case errors.As(err, &dnsErr):
		return "its host name does not resolve"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &certErr):
		return "its TLS certificate is not trusted"
	case errors.As(err, &opErr):
		return "the connection failed (" + opErr.Op + ")"
	}
	return "the request failed, or the answer was not HTTP"
}

// jsonEscape is s as the inside of a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b[1 : len(b)-1])
}

// Retry wraps s: a failed send is tried again, attempts times in all,
// waiting wait and then twice as long each time.
func Retry(s Sender, attempts int, wait time.Duration) Sender {
	return SenderFunc(retry.Send(s.Send, attempts, wait))
}

// SenderFunc is a function that sends a text message, as a Sender.
type SenderFunc func(context.Context, Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }
