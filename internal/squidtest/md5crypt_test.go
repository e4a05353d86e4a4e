package squidtest

import "testing"

// Hashes made by `openssl passwd -1 -salt SALT PASSWORD`.
func TestMD5Crypt(t *testing.T) {
	for _, tc := range []struct{ pw, salt, want string }{
		{"proxy-pass", "abcdefgh", `$1$abcdefgh$WbIq9pwSPvbVie94aK8bl/`},
		{"a much longer password of 33 byte", "x1", `$1$x1$SBZCFCctW2lQL3LIRki0P0`},
	} {
		if got := md5Crypt(tc.pw, tc.salt); got != tc.want {
			t.Errorf("md5Crypt(%q, %q) = %q, want %q", tc.pw, tc.salt, got, tc.want)
		}
	}
}
