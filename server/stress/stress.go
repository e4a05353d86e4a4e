// Package stress is what `make stress` runs: the real softtoken-server
// binary under abuse and load, on loopback only, bounded in count and
// time, and watched from outside (/proc), as an operator would watch it.
//
// Each scenario reports what it measured. It fails only on a bound that is
// not a time: memory over a budget, a request never answered, a slow
// client still connected long after its timeout. Times and CPU ratios are
// reported, never asserted: the machine is shared and noisy
// (docs/benchmarks.md keeps the figures).
package stress

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Env is what every scenario runs with.
type Env struct {
	// Bin is the softtoken-server binary under test.
	Bin string
	// Dir is a scratch folder for databases.
	Dir    string
	Report *Report
	// ServerLog gets the servers' logs (nil: kept only for failures).
	ServerLog io.Writer
}

// start starts the server binary on db with args.
func (e Env) start(ctx context.Context, db string, args ...string) (*Process, error) {
	return Start(ctx, e.Bin, db, e.ServerLog, args...)
}

// Scenario is one abuse or load test.
type Scenario struct {
	Name string
	Run  func(ctx context.Context, e Env) error
}

// Report collects a run's figures and broken bounds.
type Report struct {
	mu     sync.Mutex
	w      io.Writer
	failed []string
}

// NewReport writes figures to w as they come.
func NewReport(w io.Writer) *Report { return &Report{w: w} }

// Printf reports a figure.
func (r *Report) Printf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, format+"\n", args...)
}

// Failf reports a broken bound.
func (r *Report) Failf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.Printf("FAIL: %s", msg)
	r.mu.Lock()
	r.failed = append(r.failed, msg)
	r.mu.Unlock()
}

// Failed lists the broken bounds so far.
func (r *Report) Failed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failed...)
}

// Select returns the scenarios named in only (comma-separated; "" for
// all), or an error naming an unknown one.
func Select(all []Scenario, only string) ([]Scenario, error) {
	if only == "" {
		return all, nil
	}
	var out []Scenario
	for _, name := range strings.Split(only, ",") {
		found := false
		for _, s := range all {
			if s.Name == strings.TrimSpace(name) {
				out, found = append(out, s), true
			}
		}
		if !found {
			return nil, fmt.Errorf("no scenario %q", name)
		}
	}
	return out, nil
}

// mb is n bytes in MB, for reports.
func mb(n int64) float64 { return float64(n) / (1 << 20) }
