package stress

import "testing"

func TestGodebugSays(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
	}{
		{"", false},
		{"madvdontneed=0", true},
		{"madvdontneed=1", false},
		{"gctrace=1,madvdontneed=0", true},
		{"madvdontneed=0,madvdontneed=1", false}, // the last wins
		{"madvdontneed=1,madvdontneed=0", true},
		{"xmadvdontneed=0", false},
	} {
		if got := godebugSays(tc.env, "madvdontneed=0"); got != tc.want {
			t.Errorf("godebugSays(%q) = %v, want %v", tc.env, got, tc.want)
		}
	}
}
