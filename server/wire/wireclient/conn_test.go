package wireclient_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/wire/wireclient"
)

// fakeServer answers a challenge with challengeReply and a login as the
// server would, decrypting with key (OK for the password "right"); it
// never answers a logout.
func fakeServer(t *testing.T, key *challenge.Key, challengeReply wire.Response) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			req, err := wire.Decode(data)
			if err != nil {
				return
			}
			if reply, ok := answer(key, req, challengeReply); ok {
				_ = ws.WriteJSON(reply)
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// answer is the fake server's reply to req, if it replies.
func answer(key *challenge.Key, req wire.Request, challengeReply wire.Response) (wire.Response, bool) {
	switch req.Type {
	case wire.TypeChallenge:
		return challengeReply, true
	case wire.TypeLogin:
		scheme, err := challenge.ParseScheme(req.Enc)
		if err != nil {
			return wire.Response{Type: req.Type, Result: wire.ResultMalformed}, true
		}
		if pw, _ := key.Decrypt(req.Pass, scheme); string(pw) != "right" {
			return wire.Response{Type: req.Type, Result: wire.ResultInvalidLogin}, true
		}
		return wire.Response{Type: req.Type, Result: wire.ResultOK, UserID: req.UserID}, true
	}
	return wire.Response{}, false
}

// dial is a Conn to url with the padding enc and a second's timeout.
func dial(t *testing.T, url, enc string) *wireclient.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := wireclient.NewConn(ws, enc, time.Second)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestChallengeAndLogin(t *testing.T) {
	ok := wire.Response{Type: wire.TypeChallenge, Result: wire.ResultOK, Key: newServerKey(t).Public}
	tests := []struct {
		name      string
		challenge wire.Response
		enc, pw   string
		wantErr   error  // of Challenge
		want      string // the login's result, if the challenge succeeds
	}{
		{"the seed's padding", ok, wire.EncPKCS1v15, "right", nil, wire.ResultOK},
		{"oaep", ok, wire.EncOAEPSHA256, "right", nil, wire.ResultOK},
		{"a wrong password", ok, wire.EncOAEPSHA256, "wrong", nil, wire.ResultInvalidLogin},
		{"refused", wire.Response{Type: wire.TypeChallenge, Result: wire.ResultRateLimited}, wire.EncPKCS1v15, "right", wireclient.ErrRefused, ""},
		{"an unusable key", wire.Response{Type: wire.TypeChallenge, Result: wire.ResultOK, Key: "AAAA"}, wire.EncPKCS1v15, "right", wireclient.ErrBadKey, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, fakeServer(t, newServerKey(t), tc.challenge), tc.enc)
			if r, err := c.Login(context.Background(), "trader", tc.pw, ""); !errors.Is(err, wireclient.ErrNoChallenge) {
				t.Errorf("login before the challenge: got %+v, %v", r, err)
			}
			ch, err := c.Challenge(context.Background())
			if !errors.Is(err, tc.wantErr) || ch.Result != tc.challenge.Result {
				t.Fatalf("challenge: got %+v, %v; want %v", ch, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if r, err := c.Login(context.Background(), "trader", tc.pw, ""); err != nil || r.Result != tc.want {
				t.Errorf("login: got %+v, %v; want %q", r, err, tc.want)
			}
		})
	}
}

// TestSendEnds: a reply that never comes ends the wait at the timeout (a
// net.Error that says so), or at once when the context is cancelled.
func TestSendEnds(t *testing.T) {
	url := fakeServer(t, newServerKey(t), wire.Response{})
	tests := []struct {
		name    string
		ctx     func() context.Context
		timeout bool
	}{
		{"timeout", context.Background, true},
		{"cancelled", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx
		}, false},
	}
	for _, tc := range tests {
		c := dial(t, url, wire.EncPKCS1v15)
		start := time.Now()
		_, err := c.Send(tc.ctx(), wire.Request{Type: wire.TypeLogout})
		var ne net.Error
		switch timedOut := errors.As(err, &ne) && ne.Timeout(); {
		case err == nil:
			t.Errorf("%s: a reply that never came", tc.name)
		case timedOut != tc.timeout:
			t.Errorf("%s: got %v, want a timeout: %v", tc.name, err, tc.timeout)
		case !tc.timeout && time.Since(start) > 900*time.Millisecond:
			t.Errorf("%s: ended after %v, not at once", tc.name, time.Since(start))
		}
	}
}
