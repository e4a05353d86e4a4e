package mail_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"mime"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/mail"
)

func TestOutboxWelcome(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		l    lang.Lang
		want []string
	}{
		{lang.English, []string{"Subject: Two-factor authentication enrolment\r\n", "Your User ID: BTSUser0.9999@bts.com", "Passcode:     703027",
			"23 December 2026 09:00 UTC", "disabled"}},
		{lang.Italian, []string{"Subject: Attivazione dell'autenticazione a due fattori\r\n",
			"User ID:            BTSUser0.9999@bts.com", "Codice di accesso:  703027", "entro il 23 dicembre 2026, 09:00 UTC",
			"verrà disattivato", "prema Aggiungi. Nei campi URL di registrazione"}},
	}
	for _, tt := range tests {
		dir := filepath.Join(t.TempDir(), "outbox")
		m := mail.Welcome(tt.l, "no-reply@example.com", "mickey@example.com", "BTSUser0.9999@bts.com", "https://secureauth.example.com/secenrol/", "703027",
			now.Add(30*24*time.Hour), now)
		if err := (mail.Outbox{Dir: dir}).Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		if len(files) != 1 {
			t.Fatalf("outbox holds %v", files)
		}
		fi, _ := os.Stat(files[0])
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", fi.Mode().Perm())
		}
		raw, _ := os.ReadFile(files[0])
		common := []string{"To: mickey@example.com\r\n", "https://secureauth.example.com/secenrol/?userid=BTSUser0.9999%40bts.com"}
		for _, want := range append(common, tt.want...) {
			if !strings.Contains(string(raw), want) {
				t.Errorf("the %s mail lacks %q:\n%s", tt.l, want, raw)
			}
		}
	}
}

// Every mail exists in every language, whole: no argument missing or left
// over, nothing in the other language, and its subject readable once
// decoded.
func TestNoticesInEachLanguage(t *testing.T) {
	now := time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)
	for _, l := range lang.All {
		mails := []mail.Message{
			mail.Welcome(l, "a@b", "c@d", "trader", "https://x/secenrol/", "123456", now, now),
			mail.TempPasscodeNotice(l, "a@b", "c@d", "trader", now.Add(48*time.Hour), now),
			mail.PhoneNotice(l, "a@b", "c@d", "trader", "+39…567", now),
			mail.TokenNotice(l, "a@b", "c@d", "trader", "ST1234", true, now),
			mail.TokenNotice(l, "a@b", "c@d", "trader", "ST1234", false, now),
			mail.PasswordNotice(l, "a@b", "c@d", "trader", true, now),
			mail.PasswordNotice(l, "a@b", "c@d", "trader", false, now),
			mail.AnswersNotice(l, "a@b", "c@d", "trader", now),
			mail.DeskNotice(l, "a@b", "c@d", "trader", mail.DeskChange{TempExpires: now.Add(48 * time.Hour), NotMeURL: "https://x/n"}, now),
			mail.DeskNotice(l, "a@b", "c@d", "trader", mail.DeskChange{Serial: "ST1", Phone: "+39…567", Until: now.Add(time.Hour),
				ConfirmURL: "https://x/c", NotMeURL: "https://x/n"}, now),
		}
		month, other := map[lang.Lang]string{lang.English: "March", lang.Italian: "marzo"}[l], map[lang.Lang]string{lang.English: "marzo", lang.Italian: "March"}[l]
		for _, m := range mails {
			if strings.Contains(m.Body, "%!") || !strings.Contains(m.Body, "trader") || !strings.Contains(m.Body, month) || strings.Contains(m.Body, other) ||
				!strings.Contains(m.Body, "UTC") {
				t.Errorf("%s mail %q:\n%s", l, m.Subject, m.Body)
			}
			subject := regexp.MustCompile(`Subject: (.*)\r\n`).FindStringSubmatch(string(m.Bytes()))
			if decoded, err := new(mime.WordDecoder).DecodeHeader(subject[1]); err != nil || decoded != m.Subject ||
				strings.IndexFunc(subject[1], func(r rune) bool { return r > 127 }) >= 0 {
				t.Errorf("%s subject %q reads %q (%v)", l, m.Subject, decoded, err)
			}
		}
	}
}

func TestValidateRefusesHeaderInjection(t *testing.T) {
	for _, to := range []string{"a@b\r\nBcc: evil@x", "not-an-address", "a b@c", "<a@b>"} {
		m := mail.Message{From: "x@y", To: to, Subject: "s", Date: time.Now()}
		if err := (mail.Outbox{Dir: t.TempDir()}).Send(context.Background(), m); err == nil {
			t.Errorf("sent to %q", to)
		}
	}
}

type flaky struct{ fails, calls int }

func (f *flaky) Send(context.Context, mail.Message) error {
	f.calls++
	if f.calls <= f.fails {
		return errors.New("temporary failure")
	}
	return nil
}

func TestRetry(t *testing.T) {
	ok := &flaky{fails: 2}
	if err := mail.Retry(ok, 3, time.Millisecond).Send(context.Background(), mail.Message{}); err != nil || ok.calls != 3 {
		t.Errorf("two failures then success: %v after %d calls", err, ok.calls)
	}
	bad := &flaky{fails: 9}
	err := mail.Retry(bad, 3, time.Millisecond).Send(context.Background(), mail.Message{})
	if err == nil || bad.calls != 3 || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("always failing: %v after %d calls", err, bad.calls)
	}
}

// A mail server without STARTTLS: softtoken refuses to send the passcode.
func TestSMTPRequiresSTARTTLS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		fmt.Fprint(c, "220 test ESMTP\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"):
				fmt.Fprint(c, "250-test\r\n250 AUTH PLAIN\r\n")
			case strings.HasPrefix(cmd, "QUIT"):
				fmt.Fprint(c, "221 bye\r\n")
				return
			default:
				fmt.Fprint(c, "250 ok\r\n")
			}
		}
	}()
	m := mail.Message{From: "a@example.com", To: "b@example.com", Subject: "s", Body: "passcode 123456", Date: time.Now()}
	err = mail.SMTP{Addr: ln.Addr().String(), Timeout: 5 * time.Second}.Send(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("got %v, want a refusal for lack of STARTTLS", err)
	}
}

// A mail server that quotes the message back in its refusal: the error
// (which the admin command prints and the audit records) names the step
// and the code, never the server's words, so a passcode in the mail stays
// out of it.
func TestSMTPErrorsDoNotQuoteTheServer(t *testing.T) {
	cert := selfSignedCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go echoingSMTPServer(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	m := mail.Message{From: "a@example.com", To: "b@example.com", Subject: "s", Body: "Your passcode: 493817", Date: time.Now()}
	err = mail.SMTP{Addr: ln.Addr().String(), TLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, Timeout: 5 * time.Second}.Send(context.Background(), m)
	if err == nil || strings.Contains(err.Error(), "493817") || !strings.Contains(err.Error(), "554") {
		t.Errorf("got %v, want the code 554 and no passcode", err)
	}
}

// echoingSMTPServer speaks SMTP with STARTTLS to one client and refuses
// the message by quoting it.
func echoingSMTPServer(ln net.Listener, cfg *tls.Config) {
	conn, err := ln.Accept()
	if err != nil {
		return
	}
	defer conn.Close()
	var c net.Conn = conn
	r := bufio.NewReader(c)
	fmt.Fprint(c, "220 test ESMTP\r\n")
	var body strings.Builder
	data := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if data {
			if line == ".\r\n" {
				fmt.Fprintf(c, "554 refused: %s\r\n", strings.ReplaceAll(body.String(), "\r\n", " "))
				data = false
				continue
			}
			body.WriteString(line)
			continue
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
		case strings.HasPrefix(cmd, "EHLO"):
			fmt.Fprint(c, "250-test\r\n250 STARTTLS\r\n")
		case cmd == "STARTTLS":
			fmt.Fprint(c, "220 go ahead\r\n")
			tc := tls.Server(conn, cfg)
			if tc.Handshake() != nil {
				return
			}
			c, r = tc, bufio.NewReader(tc)
		case cmd == "DATA":
			fmt.Fprint(c, "354 go ahead\r\n")
			data = true
		case strings.HasPrefix(cmd, "QUIT"):
			fmt.Fprint(c, "221 bye\r\n")
			return
		default:
			fmt.Fprint(c, "250 ok\r\n")
		}
	}
}

// selfSignedCert is a certificate for 127.0.0.1, with its parsed Leaf.
func selfSignedCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}
