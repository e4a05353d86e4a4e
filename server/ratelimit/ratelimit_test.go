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
