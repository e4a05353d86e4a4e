package token_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/token"
)

func TestFind(t *testing.T) {
	entry := func(slot int, label string) token.Entry {
		return token.Entry{ID: label, Slot: slot, Token: token.Token{Label: label}}
	}
	entries := []token.Entry{
		entry(1, "alice (bank.example)"),
		entry(2, "Alice (broker.example)"),
		entry(3, "bob (bank.example)"),
		{ID: "broken", Slot: 4, Err: errors.New("damaged")},
		entry(5, "3"), // a label that looks like a slot number
	}
	tests := []struct {
		query  string
		wantID string
		errHas string
	}{
		{"alice (bank.example)", "alice (bank.example)", ""},
		{"ALICE (BROKER.EXAMPLE)", "Alice (broker.example)", ""},
		{"3", "3", ""},      // the exact label wins over slot 3
		{"4", "broken", ""}, // an unreadable entry is reachable by slot
		{"bob", "bob (bank.example)", ""},
		{"broker", "Alice (broker.example)", ""},
		{"alice", "", `"alice" matches 2 tokens`},
		{"bank", "", "matches 2 tokens"},
		{"carol", "", `no token is named "carol"`},
		{"", "", "there are 5 tokens"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			got, err := token.Find(entries, tc.query)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("got %v, %v; want an error containing %q", got.ID, err, tc.errHas)
				}
				return
			}
			if err != nil || got.ID != tc.wantID {
				t.Fatalf("got %q, %v; want %q", got.ID, err, tc.wantID)
			}
		})
	}
	if got, err := token.Find(entries[:1], ""); err != nil || got.ID != entries[0].ID {
		t.Errorf("the only token: got %q, %v", got.ID, err)
	}
	if _, err := token.Find(nil, "x"); !errors.Is(err, token.ErrNotFound) {
		t.Errorf("no tokens: got %v, want ErrNotFound", err)
	}
}
