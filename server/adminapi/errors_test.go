package adminapi

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/softtoken/softtoken/server/account"
)

// The statuses scripts rely on (docs/api.md, "Errors"), and no code in
// the table that neither the API nor the rules have.
func TestStatusOfCodes(t *testing.T) {
	for _, c := range []struct {
		code string
		want int
	}{
		{codeUnauthorized, 401}, {string(account.CodeBadKey), 401}, {string(account.CodeSignedOut), 401},
		{string(account.CodeNotAllowed), 403}, {string(account.CodeNoSuchUser), 404}, {codeNotFound, 404},
		{string(account.CodeTooSoon), 409}, {string(account.CodeEnrolled), 409}, {string(account.CodeNoSession), 409},
		{string(account.CodeUserExists), 409}, {codeRateLimited, 429}, {codeBadRequest, 400},
		{string(account.CodeWeakPassword), 400}, {string(account.CodeBadDays), 400}, {codeInternal, 500}, {codeMethod, 405},
	} {
		if got := status(c.code); got != c.want {
			t.Errorf("%s: status %d, want %d", c.code, got, c.want)
		}
	}
	own := []string{codeBadRequest, codeUnauthorized, codeRateLimited, codeNotFound, codeMethod, codeInternal, string(account.CodeFailed)}
	for code := range statusOf {
		if !slices.Contains(own, code) && !slices.Contains(account.Codes(), account.Code(code)) {
			t.Errorf("the table names %s, which is no code", code)
		}
	}
}

// An error the rules decide keeps its code through wrapping; any other
// is internal, and its words are not the message.
func TestCodeOf(t *testing.T) {
	wrapped := fmt.Errorf("unlock jo: %w", account.ErrNotAllowed)
	if code, msg := codeOf(wrapped); code != "not_allowed" || msg != wrapped.Error() {
		t.Errorf("a rules error: %s %q", code, msg)
	}
	if code, msg := codeOf(fmt.Errorf("database is locked at /var/lib/x.db")); code != codeInternal || msg != "internal error" {
		t.Errorf("an internal error: %s %q", code, msg)
	}
	if code, _ := codeOf(&limitedError{}); status(code) != http.StatusTooManyRequests {
		t.Errorf("a limited request: %s", code)
	}
}
