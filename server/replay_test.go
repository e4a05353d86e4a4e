package server_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// The same passcode sent at once over 8 admin sockets with verifylogin
// is accepted exactly once, on either store: the replay guard is the
// store's conditional update, not a check in one process's memory.
func TestReplayRaceAcceptsOnce(t *testing.T) {
	servertest.OnEachStore(t, servertest.Options{}, func(t *testing.T, o servertest.Options) {
		s := open(t, o)
		tok := enrolled(t, s, "trader")
		code := codeAt(t, s, tok, 1) // the enrolment's confirm used this step's
		if results := verifyAtOnce(t, s, 8, "trader", "trader-pass", code); results[wire.ResultOK] != 1 {
			t.Errorf("one code verified at once by 8 back-ends: %v; want exactly one %q", results, wire.ResultOK)
		}
	})
}

// verifyAtOnce sends n verifylogin of userID with pw and code at once, over
// n admin sockets from n addresses, and counts their results.
func verifyAtOnce(t *testing.T, s *servertest.Server, n int, userID, pw, code string) map[string]int {
	t.Helper()
	var admins []*servertest.Client
	for i := range n {
		c := s.DialFrom(fmt.Sprintf("127.0.2.%d", i+1))
		defer c.Close()
		if r := c.Login("admin", "admin-password", ""); r.Result != wire.ResultOK {
			t.Fatalf("admin login: %+v", r)
		}
		admins = append(admins, c)
	}
	results := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, c := range admins {
		pass := c.Enc(pw)
		wg.Go(func() {
			<-start
			r := c.Send(map[string]string{"type": "verifylogin", "userid": userID, "pass": pass, "2fatoken": code})
			mu.Lock()
			results[r.Result]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return results
}
