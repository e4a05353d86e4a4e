package ratelimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := New(60, 3) // one a second, bursts of 3
	now := time.Unix(1800000000, 0)
	tests := []struct {
		key  string
		at   time.Duration
		want bool
	}{
		{"a", 0, true}, {"a", 0, true}, {"a", 0, true},
		{"a", 0, false},            // the burst is spent
		{"b", 0, true},             // keys are independent
		{"a", time.Second, true},   // one more after a second
		{"a", time.Second, false},  //
		{"a", 2 * time.Hour, true}, // after an hour the bucket is swept and full again
		{"a", 2 * time.Hour, true}, //
	}
	for i, tt := range tests {
		if got := l.Allow(tt.key, now.Add(tt.at)); got != tt.want {
			t.Errorf("step %d (%s at +%s): Allow = %v, want %v", i, tt.key, tt.at, got, tt.want)
		}
	}
	if _, ok := l.buckets["b"]; ok {
		t.Error("an idle bucket was not swept")
	}
}

func TestRate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"30", "30"}, {"30,10", "30,10"}, {" 60 , 500 ", "60,500"}, {"1000,1000", "1000"},
		{"0", "error"}, {"30,0", "error"}, {"-1", "error"}, {"", "error"}, {"ten", "error"}, {"30,", "error"}, {"30,10,5", "error"},
	}
	for _, tt := range tests {
		var r Rate
		got := "error"
		if err := r.Set(tt.in); err == nil {
			got = r.String()
		}
		if got != tt.want {
			t.Errorf("Set(%q): %s, want %s", tt.in, got, tt.want)
		}
	}
	def := Rate{PerMinute: 30, Burst: 10}
	if got := (Rate{}).Or(def); got != def {
		t.Errorf("zero rate or default: %+v", got)
	}
	if got := (Rate{PerMinute: 5, Burst: 1}).Or(def); got != (Rate{5, 1}) {
		t.Errorf("set rate or default: %+v", got)
	}
}

func TestSource(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"session-id-abc", "session-id-abc"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Source(tt.addr); got != tt.want {
			t.Errorf("Source(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// Addresses of one IPv6 /64 share a bucket; another /64 has its own.
func TestLimiterCountsIPv6Networks(t *testing.T) {
	l := New(1, 2)
	now := time.Unix(1_800_000_000, 0)
	for i, addr := range []string{"2001:db8::1", "2001:db8::2"} {
		if !l.Allow(addr, now) {
			t.Fatalf("try %d: refused", i+1)
		}
	}
	if l.Allow("2001:db8::3", now) {
		t.Error("a third address of the /64 got a fresh bucket")
	}
	if !l.Allow("2001:db8:0:1::1", now) {
		t.Error("another /64 was refused")
	}
}
