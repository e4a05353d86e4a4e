package password_test

import (
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/password"
)

var cheap = password.Params{Memory: 64, Time: 1, Threads: 1}

func TestHashCheck(t *testing.T) {
	h, err := password.Hash([]byte("correct horse"), cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %s", h)
	}
	if h2, _ := password.Hash([]byte("correct horse"), cheap); h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		pw   string
		want bool
	}{{"correct horse", true}, {"correct hors", false}, {"", false}, {"Correct horse", false}}
	for _, tc := range tests {
		if ok, err := password.Check(h, []byte(tc.pw)); err != nil || ok != tc.want {
			t.Errorf("Check(%q) = %v, %v", tc.pw, ok, err)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=64,t=0,p=1$AAAA$AAAA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAA"} {
		if _, err := password.Check(bad, []byte("x")); err == nil {
			t.Errorf("Check accepted the hash %q", bad)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	h, _ := password.Hash([]byte("pw"), password.Default)
	for b.Loop() {
		_, _ = password.Check(h, []byte("pw"))
	}
}
