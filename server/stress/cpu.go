package stress

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/wire"
)

// VerifyCPU measures the CPU time the server process spends per
// verifylogin (password and passcode, on open service-account sockets,
// production argon2id costs) against the CPU time of its cryptography
// alone: one RSA-2048 PKCS#1 v1.5 decryption and one argon2id check, run
// in this process one at a time (the floor), and as many at once as the
// server's hashing runs (one a core): two argon2id checks on two cores
// share the memory bus and the caches, and each takes more CPU than one
// alone, in any process. Each round measures both floors, then the
// server with one back-end socket verifying one account after another
// (sequential), against the first floor, then with sockets back-end
// sockets verifying as many different accounts at once (concurrent),
// against both: side by side in one run, so that the machine's load falls
// on all alike.
//
// A baseline binary ("" for none), an older build, is measured in the
// same rounds on a copy of the same database, for before/after figures.
func VerifyCPU(rounds, perRound, sockets int, baseline string) Scenario {
	return Scenario{Name: "verify-cpu", Run: func(ctx context.Context, e Env) error {
		db := filepath.Join(e.Dir, "verify-cpu.db")
		traders, err := prepare(ctx, db, 2*rounds*perRound, password.Default)
		if err != nil {
			return err
		}
		bins := []string{e.Bin}
		if baseline != "" {
			bins = append(bins, baseline)
		}
		servers := make([]*cpuServer, len(bins))
		for i, bin := range bins {
			if servers[i], err = startCPUServer(ctx, e, bin, db, i, sockets); err != nil {
				return err
			}
			defer servers[i].close()
		}
		floor, err := newFloor()
		if err != nil {
			return err
		}
		if !godebugSays(os.Getenv("GODEBUG"), ServerGODEBUG) {
			e.Report.Printf("verify-cpu: this process runs without the server's GODEBUG=%s, so its crypto floor pays page faults the server does not: run it as make stress does", ServerGODEBUG)
		}
		var floorCPU floors
		for r := range rounds {
			f, err := floor.measure(perRound)
			if err != nil {
				return err
			}
			floorCPU = floorCPU.plus(f)
			seq := traders[2*r*perRound : (2*r+1)*perRound]
			conc := traders[(2*r+1)*perRound : (2*r+2)*perRound]
			for i := range servers { // each first in turn: neither gains by its place
				s := servers[(i+r)%len(servers)]
				if err := s.round(e, r, seq, conc, f); err != nil {
					return err
				}
			}
		}
		for _, s := range servers {
			s.report(e, rounds*perRound, floorCPU)
		}
		return nil
	}}
}

// cpuServer is one server binary under VerifyCPU, with its sockets and
// the CPU time it took so far.
type cpuServer struct {
	name      string
	p         *Process
	clients   []*Client // clients[0] verifies alone
	seq, conc Usage     // CPU and faults of each way, summed
	// seqWall and concWall are the wall-clock times of each way: the
	// throughput.
	seqWall, concWall time.Duration
}

// startCPUServer starts bin on its own copy of db (the i-th) and logs
// sockets back-ends in as the service account.
func startCPUServer(ctx context.Context, e Env, bin, db string, i, sockets int) (*cpuServer, error) {
	own := filepath.Join(filepath.Dir(db), fmt.Sprintf("%d-%s", i, filepath.Base(db)))
	for _, ext := range []string{"", ".key"} { // the database and its master key
		if err := copyFile(db+ext, own+ext); err != nil {
			return nil, err
		}
	}
	p, err := Start(ctx, bin, own, e.ServerLog)
	if err != nil {
		return nil, err
	}
	s := &cpuServer{name: filepath.Base(bin), p: p}
	if i > 0 {
		s.name = "baseline " + s.name
	}
	for range max(sockets, 1) {
		c, err := Dial(ctx, p.Addr, "", nil)
		if err != nil {
			s.close()
			return nil, err
		}
		s.clients = append(s.clients, c)
		if r, err := c.Login(serviceID, servicePW, ""); err != nil || r.Result != wire.ResultOK {
			s.close()
			return nil, fmt.Errorf("service login: %+v %v", r, err)
		}
	}
	return s, nil
}

func (s *cpuServer) close() {
	for _, c := range s.clients {
		c.Close()
	}
	_ = s.p.Stop()
}

// round verifies seq on one socket, then conc spread over every socket at
// once, and reports both against f, the floors of as many.
func (s *cpuServer) round(e Env, r int, seq, conc []trader, f floors) error {
	start := time.Now()
	a, err := verifyRound(s.p, s.clients[:1], seq)
	if err != nil {
		return err
	}
	mid := time.Now()
	b, err := verifyRound(s.p, s.clients, conc)
	if err != nil {
		return err
	}
	s.seqWall, s.concWall = s.seqWall+mid.Sub(start), s.concWall+time.Since(mid)
	s.seq, s.conc = s.seq.plus(a), s.conc.plus(b)
	n := float64(len(seq))
	e.Report.Printf("verify-cpu: %s: round %d: crypto alone %.2f ms per verifylogin, %d at once %.2f ms; one socket %.2f ms: %.3f×; %d sockets at once %.2f ms: %.3f×, %.3f× the crypto %d at once",
		s.name, r+1, ms(f.one)/n, f.workers, ms(f.many)/n, ms(a.CPU)/n, float64(a.CPU)/float64(f.one),
		len(s.clients), ms(b.CPU)/n, float64(b.CPU)/float64(f.one), float64(b.CPU)/float64(f.many), f.workers)
	return nil
}

// report prints the server's totals for n verifylogin each way against
// the floors.
func (s *cpuServer) report(e Env, n int, floor floors) {
	k := float64(n)
	e.Report.Printf("verify-cpu: %s: %d verifylogin each way; crypto alone %.2f ms each, %d at once %.2f ms each (%.3f×); "+
		"one socket %.2f ms: **%.3f×** (system %.2f ms, %.0f page faults; %.1f a second); "+
		"%d sockets at once %.2f ms: %.3f× the crypto alone, **%.3f× the crypto %d at once** (system %.2f ms, %.0f page faults; %.1f a second)",
		s.name, n, ms(floor.one)/k, floor.workers, ms(floor.many)/k, float64(floor.many)/float64(floor.one),
		ms(s.seq.CPU)/k, float64(s.seq.CPU)/float64(floor.one), ms(s.seq.Sys)/k, float64(s.seq.Faults)/k, k/s.seqWall.Seconds(),
		len(s.clients), ms(s.conc.CPU)/k, float64(s.conc.CPU)/float64(floor.one), float64(s.conc.CPU)/float64(floor.many), floor.workers,
		ms(s.conc.Sys)/k, float64(s.conc.Faults)/k, k/s.concWall.Seconds())
}

// verifyRound verifies each trader once, spread over the clients (all at
// once, each client one trader after another), and returns the server's
// CPU time and page faults for them.
func verifyRound(p *Process, clients []*Client, traders []trader) (Usage, error) {
	before, err := p.Usage()
	if err != nil {
		return Usage{}, err
	}
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for j := i; j < len(traders); j += len(clients) {
				if errs[i] = verify(c, traders[j]); errs[i] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Usage{}, err
		}
	}
	after, err := p.Usage()
	return after.minus(before), err
}

// plus is u and v summed (CPU, system time and faults).
func (u Usage) plus(v Usage) Usage {
	return Usage{CPU: u.CPU + v.CPU, Sys: u.Sys + v.Sys, Faults: u.Faults + v.Faults}
}

// minus is what u used beyond v (CPU, system time and faults).
func (u Usage) minus(v Usage) Usage {
	return Usage{CPU: u.CPU - v.CPU, Sys: u.Sys - v.Sys, Faults: u.Faults - v.Faults}
}

// verify sends one verifylogin for t, which must pass.
func verify(c *Client, t trader) error {
	code, err := t.tok.Code(time.Now())
	if err != nil {
		return err
	}
	if r, err := c.Verify(t.id, t.pw, code); err != nil || r.Result != wire.ResultOK {
		return fmt.Errorf("verifylogin %s: %+v %v", t.id, r, err)
	}
	return nil
}

// copyFile copies the file from to a new file to, readable by its owner
// only (the server refuses a master key others may read).
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", from, err)
	}
	return out.Close()
}

// floor is the cryptography of one verifylogin, done here.
type floor struct {
	key  *rsa.PrivateKey
	ct   []byte
	hash string
}

func newFloor() (*floor, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pw := []byte("trader-password-00000")
	//lint:ignore SA1019 the protocol's Java clients send PKCS#1 v1.5.
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, &key.PublicKey, pw)
	if err != nil {
		return nil, err
	}
	hash, err := password.Hash(pw, password.Default)
	return &floor{key: key, ct: ct, hash: hash}, err
}

// floors are the CPU times of the cryptography of a number of
// verifylogin, done one at a time (one) and workers at once (many), as
// the server's hashing runs it.
type floors struct {
	one, many time.Duration
	workers   int
}

func (f floors) plus(g floors) floors {
	return floors{one: f.one + g.one, many: f.many + g.many, workers: g.workers}
}

// measure does the cryptography n times one at a time, then n times on
// one goroutine a core (the server's --hash-concurrency default).
func (f *floor) measure(n int) (floors, error) {
	workers := runtime.GOMAXPROCS(0)
	one, err := f.cpu(n, 1)
	if err != nil {
		return floors{}, err
	}
	many, err := f.cpu(n, workers)
	return floors{one: one, many: many, workers: workers}, err
}

// cpu does the cryptography n times on workers goroutines and returns
// this process's CPU time for it.
func (f *floor) cpu(n, workers int) (time.Duration, error) {
	before, err := selfCPU()
	if err != nil {
		return 0, err
	}
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for range n/workers + btoi(w < n%workers) {
				//lint:ignore SA1019 the protocol's Java clients send PKCS#1 v1.5.
				pw, err := rsa.DecryptPKCS1v15(rand.Reader, f.key, f.ct)
				if err != nil {
					errs <- err
					return
				}
				if ok, err := password.Check(f.hash, pw); err != nil || !ok {
					errs <- fmt.Errorf("floor: the password does not check: %v", err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	after, cerr := selfCPU()
	return after - before, errors.Join(err, cerr)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// godebugSays reports whether the GODEBUG value env sets the key=value
// setting: the last setting of a key wins, as in the runtime.
func godebugSays(env, setting string) bool {
	key, _, _ := strings.Cut(setting, "=")
	got := ""
	for _, f := range strings.Split(env, ",") {
		if k, _, _ := strings.Cut(f, "="); k == key {
			got = f
		}
	}
	return got == setting
}
