//go:build linux

package cluster_test

import (
	"testing"
	"time"
)

// BenchmarkVerifyDelayed measures, from the back-end's side, what a
// network between a node and PostgreSQL adds to a verifylogin
// (docs/benchmarks.md, "Round trips"): the same server, once on a direct
// connection and once through a proxy that delays each direction by
// 5 ms (a 10 ms round trip, pgtest.Delayed), with pipelined transactions
// and without (as before them), side by side in one run.
// ms/op is the message's latency; trips/op the round trips the store
// counted, wire-trips/op those the proxy saw (pool pings and statement
// preparations too, which the store does not count). Run it with
//
//	go test -run '^$' -bench VerifyDelayed -benchtime 20x ./server/cluster
//
// (latency through the delay − latency direct) / 10 ms is the number of
// round trips the network adds, measured from outside the store.
func BenchmarkVerifyDelayed(b *testing.B) {
	for _, tc := range []struct {
		name, backend string
		delay         time.Duration
	}{
		{"pipelined/direct", "postgres", 0},
		{"pipelined/10ms-round-trip", "postgres", 5 * time.Millisecond},
		{"unpipelined/direct", "postgres-unpipelined", 0},
		{"unpipelined/10ms-round-trip", "postgres-unpipelined", 5 * time.Millisecond},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := newCountedServer(b, tc.backend, &statements{}, tc.delay)
			s.measure(b, s.verify())
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		})
	}
}
