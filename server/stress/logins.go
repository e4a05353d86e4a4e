package stress

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/wire"
)

// loginBudgetMiB is the hashing memory ConcurrentLogins gives the server.
const loginBudgetMiB = 128

// ConcurrentLogins sends n logins at once, each from its own client
// address behind a trusted reverse proxy (X-Forwarded-For from
// 127.0.0.1), with production argon2id costs. Every login must be
// answered (OK, or "server busy" once the hashing pool has been full for
// its wait), and the server's peak memory must stay within the hashing
// budget plus the sockets' own.
func ConcurrentLogins(n int) Scenario {
	return Scenario{Name: "concurrent-logins", Run: func(ctx context.Context, e Env) error {
		db := filepath.Join(e.Dir, "concurrent-logins.db")
		const id, pw = "portal", "portal-password-1"
		// The logins come from 10.x.y.z through the proxy: the service
		// account's network (its default is loopback only).
		from := account.ServiceLimits{Networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
		if err := addUsers(ctx, db, password.Default, account.NewUser{UserID: id, Password: []byte(pw), Admin: true, Service: true, Limits: from}); err != nil {
			return err
		}
		p, err := e.start(ctx, db, "--trusted-proxy", "127.0.0.0/8", "--hash-memory", fmt.Sprint(loginBudgetMiB),
			"--max-pending-logins", fmt.Sprint(n+100))
		if err != nil {
			return err
		}
		defer p.Stop()
		var before Usage
		results := loginAll(ctx, p.Addr, n, id, pw, func() error {
			// The sockets are open: what the logins add is hashing.
			if err := p.ResetPeak(); err != nil {
				return err
			}
			before, err = p.Usage()
			return err
		})
		after, err := p.Usage()
		if err != nil {
			return err
		}
		judgeLogins(e, n, results, before, after)
		return nil
	}}
}

// judgeLogins reports the results of n concurrent logins and the memory
// they took (after's peak over before's resident size), and fails the
// run if a login went unanswered, was refused, or took more memory than
// the hashing budget and its messages allow.
func judgeLogins(e Env, n int, results map[string]int, before, after Usage) {
	var counts []string
	answered := 0
	for r, k := range results {
		counts = append(counts, fmt.Sprintf("%d %q", k, r))
		if !strings.HasPrefix(r, "error: ") {
			answered += k
		}
	}
	sort.Strings(counts)
	grew := after.Peak - before.RSS
	e.Report.Printf("concurrent-logins: %d at once through a trusted proxy: %s; peak memory %.0f MB over the %.0f MB with the sockets open (hashing budget %d MB)",
		n, strings.Join(counts, ", "), mb(grew), mb(before.RSS), loginBudgetMiB)
	if answered != n {
		e.Report.Failf("concurrent-logins: %d of %d logins were not answered", n-answered, n)
	}
	// The password is right: anything but OK or busy is a fault (a
	// refused network once made every login "invalid").
	for r, k := range results {
		if r != wire.ResultOK && r != wire.ResultBusy && !strings.HasPrefix(r, "error: ") {
			e.Report.Failf("concurrent-logins: %d logins answered %q, want OK or %q", k, r, wire.ResultBusy)
		}
	}
	// The hashing stays within its budget by construction (the pool's
	// own tests count it); the process also holds each waiting
	// login's messages, decryption and replies, and the garbage
	// collector's slack on them: under 100 KB a login.
	if limit := int64(loginBudgetMiB)<<20 + int64(n)*100<<10; grew > limit {
		e.Report.Failf("concurrent-logins: peak memory grew by %.0f MB during the logins, over the %d MB hashing budget and 100 KB for each login's messages",
			mb(grew), loginBudgetMiB)
	}
}

// loginAll connects n clients, each from a forwarded address of its own,
// calls ready, then has them all log in at once, and counts their
// results (an error of ready is one too).
func loginAll(ctx context.Context, addr string, n int, id, pw string, ready func() error) map[string]int {
	results := map[string]int{}
	var mu sync.Mutex
	count := func(result string) {
		mu.Lock()
		results[result]++
		mu.Unlock()
	}
	var dialed, done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		dialed.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			h := http.Header{"X-Forwarded-For": {fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}}
			c, err := Dial(ctx, addr, "", h)
			dialed.Done()
			if err != nil {
				count("error: " + err.Error())
				return
			}
			defer c.Close()
			<-start
			r, err := c.Login(id, pw, "")
			if err != nil {
				count("error: " + err.Error())
				return
			}
			count(r.Result)
		}()
	}
	dialed.Wait()
	if err := ready(); err != nil {
		count("error: " + err.Error())
	}
	close(start)
	done.Wait()
	return results
}
