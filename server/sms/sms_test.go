package sms_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/sms"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+44 7700 900123", "+447700900123"},
		{"0044 (7700) 900-123", "+447700900123"},
		{"+39.333.1234567", "+393331234567"},
		{"07700 900123", ""},      // national form
		{"+44 7700", ""},          // too short
		{"+1234567890123456", ""}, // too long
		{"+44 7700 90012a", ""},
		{"+0447700900123", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := sms.Normalize(tt.in)
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if got := sms.Mask("+447700900123"); got != "+44…123" {
		t.Errorf("Mask: %q", got)
	}
}

func TestOutbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sms")
	m := sms.Message{To: "+447700900123", Text: "Your passcode is 123456", Date: time.Unix(1800000000, 0)}
	if err := (sms.Outbox{Dir: dir}).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*447700900123*.txt"))
	if len(files) != 1 {
		t.Fatalf("outbox holds %v", files)
	}
	fi, _ := os.Stat(files[0])
	body, _ := os.ReadFile(files[0])
	if fi.Mode().Perm() != 0o600 || !strings.Contains(string(body), "To: +447700900123") || !strings.Contains(string(body), "123456") {
		t.Errorf("the file (%v): %s", fi.Mode(), body)
	}
	if err := (sms.Outbox{Dir: dir}).Send(context.Background(), sms.Message{To: "12", Text: "x"}); err == nil {
		t.Error("a bad number was sent")
	}
}

func TestGateway(t *testing.T) {
	var calls atomic.Int32
	var got struct{ method, auth, ctype, body, query string }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got.method, got.auth, got.ctype, got.body, got.query = r.Method, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b), r.URL.RawQuery
	}))
	defer srv.Close()
	g := sms.Gateway{URL: srv.URL + "/send?to={to}", Body: `{"to":"{to}","text":"{text}"}`, ContentType: "application/json", Header: "Authorization: Bearer k3y"}
	m := sms.Message{To: "+447700900123", Text: `Code "123456"`}
	if err := sms.Retry(g, 3, time.Millisecond).Send(context.Background(), m); err != nil {
		t.Fatalf("after two failures: %v", err)
	}
	if got.method != "POST" || got.auth != "Bearer k3y" || got.ctype != "application/json" ||
		got.body != `{"to":"+447700900123","text":"Code \"123456\""}` || got.query != "to=%2B447700900123" {
		t.Errorf("the request: %+v", got)
	}
	calls.Store(-100)
	err := sms.Retry(sms.Gateway{URL: srv.URL + "/?text={text}"}, 2, time.Millisecond).Send(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), "123456") {
		t.Errorf("a gateway that stays down: %v", err)
	}
}

// FuzzNormalize: whatever is typed, the answer is an error or a number in
// E.164 form that normalizes to itself.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+44 7700 900123", "0044 (7700) 900-123", "07700", "+", "００44"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		got, err := sms.Normalize(typed)
		if err != nil {
			return
		}
		if len(got) < 9 || len(got) > 16 || got[0] != '+' || strings.Trim(got[1:], "0123456789") != "" {
			t.Fatalf("Normalize(%q) = %q", typed, got)
		}
		if again, err := sms.Normalize(got); err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, but that normalizes to %q, %v", typed, got, again, err)
		}
	})
}

// Every text message exists in every language, holds the code and its
// minutes, and fits one message.
func TestCodeTexts(t *testing.T) {
	tests := []struct {
		l       lang.Lang
		purpose string
		want    string
	}{
		{lang.English, sms.ForSignIn, "softtoken passcode: 123456. It works once, for 5 minutes."},
		{lang.English, sms.ForNumber, "softtoken code to confirm this number: 123456."},
		{lang.Italian, sms.ForSignIn, "Codice di accesso softtoken: 123456. Vale una sola volta, per 5 minuti."},
		{lang.Italian, sms.ForNumber, "Codice softtoken per confermare questo numero: 123456."},
		{"xx", sms.ForSignIn, "softtoken passcode: 123456."},
		{lang.English, sms.ForNextLogon, "softtoken passcode for your next logon: 123456. It works once, within 5 days. Keep this message"},
		{lang.Italian, sms.ForNextLogon, "Codice softtoken per il prossimo accesso: 123456. Vale una sola volta, entro 5 giorni."},
	}
	for _, tt := range tests {
		got := sms.CodeText(tt.l, tt.purpose, "123456", 5)
		if !strings.Contains(got, tt.want) || strings.Contains(got, "%!") || len(got) > 160 {
			t.Errorf("%s %s: %q", tt.l, tt.purpose, got)
		}
	}
	for _, l := range []lang.Lang{lang.English, lang.Italian} {
		if got := sms.PreloadText(l, "123456", 0); !strings.Contains(got, " 1 ") || len(got) > 160 {
			t.Errorf("PreloadText(%s, 0 days) = %q: want at least 1 day, in one message", l, got)
		}
	}
}
