package auditchain_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/store"
)

var chain = auditchain.New(bytes.Repeat([]byte{1}, 32))

// linked is a chain of n records, linked as the store links them, and
// its head.
func linked(n int) ([]store.AuditEvent, store.AuditHead) {
	var recs []store.AuditEvent
	prev := auditchain.Genesis()
	for i := 1; i <= n; i++ {
		e := store.AuditEvent{ID: int64(i), At: time.Unix(1_800_000_000+int64(i)*60, 0), UserID: fmt.Sprintf("user%d", i),
			Client: "10.0.0.1", Event: "login", Outcome: "OK"}
		e.Prev, e.Hash = prev, chain.Link(prev, e)
		prev = e.Hash
		recs = append(recs, e)
	}
	h := store.AuditHead{Seq: int64(n), Hash: prev}
	h.Seal = chain.Seal(h)
	return recs, h
}

// check verifies recs against head.
func check(recs []store.AuditEvent, head store.AuditHead) error {
	v := chain.Verifier(head)
	for _, e := range recs {
		if err := v.Add(e); err != nil {
			return err
		}
	}
	_, err := v.Finish()
	return err
}

// Each way of tampering is found, and the first record it touches named.
func TestVerifierNamesTheFirstBrokenRecord(t *testing.T) {
	tests := []struct {
		name   string
		tamper func([]store.AuditEvent, *store.AuditHead) []store.AuditEvent
		seq    int64
		what   string
	}{
		{"untouched", func(r []store.AuditEvent, _ *store.AuditHead) []store.AuditEvent { return r }, 0, ""},
		{"a field changed", func(r []store.AuditEvent, _ *store.AuditHead) []store.AuditEvent {
			r[2].Outcome = "wrong password"
			return r
		}, 3, "was changed"},
		{"the time changed", func(r []store.AuditEvent, _ *store.AuditHead) []store.AuditEvent {
			r[1].At = r[1].At.Add(time.Hour)
			return r
		}, 2, "was changed"},
		{"fields moved between columns", func(r []store.AuditEvent, _ *store.AuditHead) []store.AuditEvent {
			r[0].UserID, r[0].Client = r[0].UserID+"10.0.0.1", ""
			return r
		}, 1, "was changed"},
		{"a middle record removed", func(r []store.AuditEvent, _ *store.AuditHead) []store.AuditEvent {
			return append(r[:2:2], r[3:]...)
		}, 3, "was removed"},
		{"the first record removed", func(r []store.AuditEvent, _ *store.AuditHead) []store.AuditEvent { return r[1:] }, 1, "was removed"},
		{"the last records removed", func(r []store.AuditEvent, _ *store.AuditHead) []store.AuditEvent { return r[:3] }, 4, "was removed"},
		{"the last record removed and the head moved back", func(r []store.AuditEvent, h *store.AuditHead) []store.AuditEvent {
			h.Seq = 4
			return r[:4]
		}, 4, "does not match the chain's head"},
		{"the last records removed and the head moved onto the last left", func(r []store.AuditEvent, h *store.AuditHead) []store.AuditEvent {
			h.Seq, h.Hash = 3, r[2].Hash
			return r[:3]
		}, 4, "the chain's head was changed"},
		{"the head's seal removed", func(r []store.AuditEvent, h *store.AuditHead) []store.AuditEvent {
			h.Seal = nil
			return r
		}, 6, "its seal does not match"},
		{"a record added past the head", func(r []store.AuditEvent, _ *store.AuditHead) []store.AuditEvent {
			f := r[4]
			f.ID, f.Prev, f.UserID = 6, r[4].Hash, "mallory"
			return append(r, f)
		}, 6, "was inserted"},
		{"a record slipped in and the rest renumbered", func(r []store.AuditEvent, h *store.AuditHead) []store.AuditEvent {
			f := r[2]
			f.UserID, f.Hash = "mallory", bytes.Repeat([]byte{9}, auditchain.Size)
			out := append(append(r[:2:2], f), r[2:]...)
			for i := 3; i < len(out); i++ {
				out[i].ID++
			}
			h.Seq = 6
			return out
		}, 3, "was inserted"},
		{"two records swapped", func(r []store.AuditEvent, _ *store.AuditHead) []store.AuditEvent {
			r[1], r[2] = r[2], r[1]
			r[1].ID, r[2].ID = 2, 3
			return r
		}, 2, "was changed"},
		{"a record's hash replaced by the next one's", func(r []store.AuditEvent, _ *store.AuditHead) []store.AuditEvent {
			r[1].Hash = r[2].Hash
			return r
		}, 2, "was changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, head := linked(5)
			recs = tt.tamper(recs, &head)
			err := check(recs, head)
			if tt.seq == 0 {
				if err != nil {
					t.Fatalf("an untouched chain: %v", err)
				}
				return
			}
			var brk *auditchain.Break
			if !errors.As(err, &brk) || brk.Seq != tt.seq || !strings.Contains(err.Error(), tt.what) {
				t.Errorf("got %v; want record %d %s", err, tt.seq, tt.what)
			}
		})
	}
}

// Different records never encode alike: moving bytes between fields, or
// between a field and the previous hash, changes the link.
func TestLinkIsUnambiguous(t *testing.T) {
	base := store.AuditEvent{ID: 1, At: time.Unix(1_800_000_000, 0), UserID: "ab", Client: "c", Event: "e", Outcome: "OK"}
	shifted := base
	shifted.UserID, shifted.Client = "a", "bc"
	prev := auditchain.Genesis()
	if bytes.Equal(chain.Link(prev, base), chain.Link(prev, shifted)) {
		t.Error("moving a byte from one field to the next kept the hash")
	}
	other := base
	other.ID = 2
	if bytes.Equal(chain.Link(prev, base), chain.Link(prev, other)) {
		t.Error("another sequence number kept the hash")
	}
	if bytes.Equal(chain.Link(prev, base), auditchain.New(nil).Link(prev, base)) {
		t.Error("another key kept the hash")
	}
}

// A witness (a record seen earlier, kept elsewhere) finds what the chain
// cannot find from inside: a chain cut back with a head that verifies,
// or rewritten from the witnessed record on.
func TestWitnesses(t *testing.T) {
	recs, head := linked(5)
	w := auditchain.Witness{Seq: 5, Hash: head.Hash}
	tests := []struct {
		name string
		recs []store.AuditEvent
		head store.AuditHead
		want string
	}{
		{"the chain as witnessed", recs, head, ""},
		{"cut back to an older, whole chain", nil, store.AuditHead{}, "was witnessed but is gone"},
		{"rewritten from the witnessed record on", nil, store.AuditHead{}, "is not the record witnessed"},
	}
	tests[1].recs, tests[1].head = linked(3)
	other, _ := linked(5)
	other[4].UserID = "mallory"
	other[4].Hash = chain.Link(other[4].Prev, other[4])
	tests[2].recs, tests[2].head = other, store.AuditHead{Seq: 5, Hash: other[4].Hash}
	tests[2].head.Seal = chain.Seal(tests[2].head)
	for _, tt := range tests {
		v := chain.Verifier(tt.head)
		v.Expect(w)
		var err error
		for _, e := range tt.recs {
			if err = v.Add(e); err != nil {
				break
			}
		}
		if err == nil {
			_, err = v.Finish()
		}
		if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}
