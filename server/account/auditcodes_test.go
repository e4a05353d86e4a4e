package account

import (
	"slices"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/store"
)

// Every code the audit records is one word of its own, and every word the
// audit recorded before the codes translates to one of them.
func TestAuditCodesAreWordsOfTheirOwn(t *testing.T) {
	codes := AuditCodes()
	for i, c := range codes {
		if c == "" || strings.ContainsAny(string(c), " .:") || strings.ToLower(string(c)) != string(c) {
			t.Errorf("code %q is not a lower-case word", c)
		}
		if slices.Contains(codes[i+1:], c) {
			t.Errorf("code %q twice", c)
		}
	}
	for word, c := range legacyOutcomes {
		if !slices.Contains(codes, c) {
			t.Errorf("the old word %q translates to %q, not a code the audit records", word, c)
		}
	}
}

// A record takes its word's code only when it is from before the codes.
func TestAuditEventTranslatesOldWordsOnly(t *testing.T) {
	tests := []struct {
		seq     int64
		outcome string
		want    Code
	}{
		{1, "OK", CodeOK},
		{1, "account locked", CodeLocked},
		{1, "ok", CodeOK},
		{5, "invalid_login", CodeInvalidLogin},
		{5, "OK", "OK"},
	}
	for _, tt := range tests {
		if got := auditEvent(store.AuditEvent{ID: tt.seq, Outcome: tt.outcome}, 5).Code; got != tt.want {
			t.Errorf("record %d of %q: code %q, want %q", tt.seq, tt.outcome, got, tt.want)
		}
	}
}
