package server_test

import (
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/servertest"
)

// A typed user ID cannot pose as audit records.
func TestUserIDsCannotForgeAuditLines(t *testing.T) {
	s := open(t, servertest.Options{})
	c := s.Dial()
	c.Login("nobody\n2026-12-31T23:59:59Z\tadmin\tadmin command line\tuser delete\tOK\n", "x-password", "")
	c.Close()
	for _, line := range strings.Split(s.Admin("", "audit"), "\n") {
		if strings.HasPrefix(line, "2026-12-31") {
			t.Errorf("a forged audit line: %q", line)
		}
	}
}
