package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/softtoken/softtoken/token/qr"
)

// TestFramesWhileDecodersAreBusy: with every decoder's place taken, a
// frame is answered 503 with a Retry-After at once, never queued; once a
// place is free, frames are decoded again.
func TestFramesWhileDecodersAreBusy(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	h := New(Config{Limits: Limits{FrameDecodes: 2}, Now: func() time.Time { return now }})
	s, _, err := h.sessions.start(now, "127.0.0.1", "", enrolState{})
	if err != nil {
		t.Fatal(err)
	}
	frame, err := qr.PNG("not a One Swipe code", 300)
	if err != nil {
		t.Fatal(err)
	}
	post := func() *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest("POST", Prefix+"oneswipe/read", bytes.NewReader(frame))
		r.AddCookie(&http.Cookie{Name: h.cookie, Value: s.id})
		r.Header.Set("X-CSRF-Token", s.csrf)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for range 2 {
		if !h.decodes.enter() {
			t.Fatal("the decoders have fewer places than configured")
		}
	}
	if w := post(); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("with every decoder busy: %d %q", w.Code, w.Body)
	}
	h.decodes.leave()
	if w := post(); w.Code != http.StatusOK {
		t.Fatalf("with a decoder free: %d %q", w.Code, w.Body)
	}
}
