package sms_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/sms"
)

// echo is a gateway that answers in a way of its own, quoting the text it
// was sent: what a broken or hostile gateway, or one in the middle, does.
func echo(t *testing.T, answer func(w http.ResponseWriter, text string)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer(w, r.URL.Query().Get("text"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// raw answers with bytes of its own, not HTTP as net/http writes it.
func raw(w http.ResponseWriter, answer string) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	buf.WriteString(answer)
	buf.Flush()
}

// Whatever goes wrong with the gateway, the error says so without the
// text and its passcode, in any form.
func TestGatewayErrorsHoldNoPasscode(t *testing.T) {
	const code = "493817"
	text := "softtoken passcode: " + code + ". It works once, for 5 minutes. Never give it to anyone."
	tests := []struct {
		name, url, want string
	}{
		{"a URL that does not parse with the text in it", "http://{text}.example.com/", "URL is not valid"},
		{"connection refused", "http://127.0.0.1:1/send?text={text}", "connection refused"},
		{"500 with the text in the status line and body", echo(t, func(w http.ResponseWriter, text string) {
			raw(w, fmt.Sprintf("HTTP/1.1 500 Rejected %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", text, len(text), text))
		}) + "/?text={text}", "answered 500 Internal Server Error"},
		{"a malformed answer quoting the text", echo(t, func(w http.ResponseWriter, text string) {
			raw(w, "HTTP/1.1 5x0 "+text+"\r\n\r\n")
		}) + "/?text={text}", "not HTTP"},
		{"a redirect to a bad address with the text", echo(t, func(w http.ResponseWriter, text string) {
			raw(w, "HTTP/1.1 302 Found\r\nLocation: http://[bad/"+url.QueryEscape(text)+"\r\nContent-Length: 0\r\n\r\n")
		}) + "/?text={text}", "the request failed"},
		{"a redirect to another host with the text", echo(t, func(w http.ResponseWriter, text string) {
			http.Redirect(w, &http.Request{}, "http://127.0.0.1:1/?text="+url.QueryEscape(text), http.StatusFound)
		}) + "/?text={text}", "answered 302 Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := sms.Gateway{URL: tt.url, Method: http.MethodGet}
			if err := g.Check(); err != nil {
				t.Fatalf("Check: %v", err)
			}
			err := g.Send(context.Background(), sms.Message{To: "+447700900123", Text: text})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want an error saying %q", err, tt.want)
			}
			for _, secret := range []string{code, "It works once", "It+works+once"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error quotes %q: %v", secret, err)
				}
			}
		})
	}
}
