package cli_test

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
)

// lockedBuffer is a log that serve's goroutines write to at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// hostileGateway answers every text with a 500 whose status line and body
// quote the text, and reports the texts it got.
func hostileGateway(t *testing.T) (url string, texts func() []string) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		text := r.URL.Query().Get("text")
		mu.Lock()
		got = append(got, text)
		mu.Unlock()
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 500 Refused %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", text, len(text), text)
		buf.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/send?to={to}&text={text}", func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

// wsLogin logs userID in over serve's websocket as the seed's client does
// and returns the answer.
func wsLogin(t *testing.T, addr, userID, pass, code string) wire.Response {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send := func(m map[string]string) wire.Response {
		t.Helper()
		var r wire.Response
		if err := c.WriteJSON(m); err != nil {
			t.Fatal(err)
		}
		if err := c.ReadJSON(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	der, _ := base64.StdEncoding.DecodeString(send(map[string]string{"type": "challenge"}).Key)
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 the protocol's Java clients send PKCS#1 v1.5.
	ct, _ := rsa.EncryptPKCS1v15(rand.Reader, pub.(*rsa.PublicKey), []byte(pass))
	return send(map[string]string{"type": "login", "userid": userID, "pass": base64.StdEncoding.EncodeToString(ct), "2fatoken": code})
}

// A passcode is six digits on their own; the words around it in the text
// message, escaped for a URL or not.
var passcodeLike = regexp.MustCompile(`(^|[^0-9])[0-9]{6}([^0-9]|$)|It.works.once`)

// Whatever the SMS gateway does wrong, the passcode of an SMS user's
// login is in no log line of serve's, no audit record and no answer: a
// gateway URL that does not parse with the text in it, a gateway that is
// not there, and one that answers 500 quoting the text in its status
// line and body.
func TestSMSGatewayErrorsLeakNoPasscode(t *testing.T) {
	hostile, texts := hostileGateway(t)
	for _, gw := range []struct{ name, url string }{
		{"a URL that does not parse with the text", "http://{text}.example.com/send"},
		{"connection refused", "http://127.0.0.1:1/send?text={text}"},
		{"500 quoting the text", hostile},
	} {
		t.Run(gw.name, func(t *testing.T) {
			t.Parallel()
			a := newAdmin(t)
			logs := &lockedBuffer{}
			a.logs = logs
			a.add("sally-pass-1\n", "--sms", "--phone", "+44 7700 900123", "--own-password", "sally")
			addr, stop := a.serve("--sms", "http", "--sms-url", gw.url, "--sms-method", "GET")
			answer := wsLogin(t, addr, "sally", "sally-pass-1", "")
			stop()
			answerJSON, _ := json.Marshal(answer)
			audit, err := a.run("", "audit", "--json")
			if err != nil {
				t.Fatal(err)
			}
			// The temporary folder's name has digits of its own, and so has
			// the audit head's hash that serve logs.
			log := strings.ReplaceAll(logs.String(), filepath.Dir(a.db), "DIR")
			log = regexp.MustCompile(`[0-9a-f]{64}`).ReplaceAllString(log, "HASH")
			places := map[string]string{"the answer": string(answerJSON), "the log": log, "the audit": auditFields(t, audit)}
			for where, text := range places {
				if m := passcodeLike.FindString(text); m != "" {
					t.Errorf("%s holds %q:\n%s", where, m, text)
				}
				for _, sent := range texts() {
					if code := regexp.MustCompile(`[0-9]{6}`).FindString(sent); code != "" && strings.Contains(text, code) {
						t.Errorf("%s holds the passcode the gateway got (%s)", where, code)
					}
				}
			}
			if !strings.Contains(logs.String(), "send SMS") || !strings.Contains(audit, `"outcome":"failed"`) {
				t.Errorf("the failed send is not in the log and the audit:\n%s\n%s", logs, audit)
			}
		})
	}
}

// auditFields are the fields of the records `audit --json` printed, but
// their hashes (hex, with runs of digits of any length).
func auditFields(t *testing.T, out string) string {
	t.Helper()
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("audit --json: %q: %v", sc.Text(), err)
		}
		fmt.Fprintln(&b, rec["userid"], rec["client"], rec["event"], rec["outcome"], rec["detail"])
	}
	return b.String()
}
