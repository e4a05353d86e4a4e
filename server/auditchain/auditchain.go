// Package auditchain links the server's audit records into a hash chain,
// so that a record changed, removed or slipped in later is found: each
// record carries the hash of the one before it (Prev) and its own (Hash),
// an HMAC-SHA256 over an unambiguous encoding of its sequence number, its
// time, every field, and Prev. The HMAC key is derived from the master key
// (seal.DeriveKey), which lives outside the database: whoever can write
// to the database but has not the key cannot make a record that verifies.
//
// The encoding is a version tag and then each field as a big-endian
// uint64 length followed by its bytes (numbers as 8 bytes), so that no two
// different records encode the same way, whatever their fields hold.
//
// The store appends (store.Tx.Audit: read the chain's head, link, insert,
// move the head, in one transaction); the admin command `audit verify`
// checks with a [Verifier].
package auditchain

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// Size is the length of a record's hash.
const Size = sha256.Size

// version names the encoding; a new encoding gets a new tag.
const version = "softtoken-audit/1"

// Genesis is the Prev of a chain's first record: Size zero bytes.
func Genesis() []byte { return make([]byte, Size) }

// Chain computes the links of the audit's hash chain under one key.
type Chain struct{ key []byte }

// New returns the chain under key (from seal.DeriveKey; the server never
// uses the master key itself).
func New(key []byte) *Chain { return &Chain{key: bytes.Clone(key)} }

// Link is the hash of e following a record of hash prev; e.ID is its
// sequence number, and its time counts to the second (as stored).
func (c *Chain) Link(prev []byte, e store.AuditEvent) []byte {
	m := hmac.New(sha256.New, c.key)
	writeField(m, []byte(version))
	writeField(m, binary.BigEndian.AppendUint64(nil, uint64(e.ID)))
	writeField(m, binary.BigEndian.AppendUint64(nil, uint64(e.At.Unix())))
	for _, f := range []string{e.UserID, e.Client, e.Event, e.Outcome, e.Detail} {
		writeField(m, []byte(f))
	}
	writeField(m, prev)
	return m.Sum(nil)
}

// headVersion tags the encoding of a head's seal.
const headVersion = "softtoken-audit-head/1"

// Seal is the HMAC of a chain's head (its sequence number and hash, and
// when and over how many earlier records the chain began), stored with
// the head. The head says where the chain ends: without the seal, whoever
// can write to the database could delete the newest records and move the
// head back onto the last one left, and the shorter chain would verify.
func (c *Chain) Seal(h store.AuditHead) []byte {
	m := hmac.New(sha256.New, c.key)
	writeField(m, []byte(headVersion))
	writeField(m, binary.BigEndian.AppendUint64(nil, uint64(h.Seq)))
	writeField(m, h.Hash)
	writeField(m, binary.BigEndian.AppendUint64(nil, uint64(h.Began.Unix())))
	writeField(m, binary.BigEndian.AppendUint64(nil, uint64(h.Earlier)))
	return m.Sum(nil)
}

// writeField writes b with its length before it.
func writeField(h hash.Hash, b []byte) {
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
	h.Write(b)
}

// Break is the first place where the chain does not hold: the record of
// sequence number Seq (and its time, when it is there to tell) and what
// is wrong with it.
type Break struct {
	Seq  int64
	At   time.Time
	What string
}

// Error says which record and what happened to it.
func (b *Break) Error() string {
	if b.Seq == 0 {
		return "the audit's hash chain " + b.What
	}
	if b.At.IsZero() {
		return fmt.Sprintf("audit record %d %s", b.Seq, b.What)
	}
	return fmt.Sprintf("audit record %d (%s) %s", b.Seq, b.At.UTC().Format(time.RFC3339), b.What)
}

// Summary is what a verified chain holds.
type Summary struct {
	// Records is the count of records checked.
	Records int64
	// Head is the chain's head: the last record's sequence number and
	// hash, when the check was made.
	Head store.AuditHead
}

// Verifier checks the records of a chain one at a time, in sequence
// order, so that an audit of any size is checked in bounded memory. It
// stops at the first break.
type Verifier struct {
	c    *Chain
	head store.AuditHead
	// prev, last and lastAt are the hash, sequence number and time of the
	// last record that holds.
	prev   []byte
	last   int64
	lastAt time.Time
	n      int64
	// pending is a record whose hash is wrong but whose Prev is right: the
	// next record tells whether it was changed or slipped in.
	pending *store.AuditEvent
	broken  *Break
	// witnesses are records that must be there (Expect).
	witnesses []Witness
}

// Witness is a record's sequence number and hash as seen at some moment
// outside the database: the head that `serve` logs every hour, or that
// `audit verify` printed. The chain cannot tell, from inside, that it was
// cut back to an earlier state or restored from an older copy; checked
// against a witness kept elsewhere, it can.
type Witness struct {
	Seq  int64
	Hash []byte
}

// Expect makes the check also require the record w names, with its hash.
func (v *Verifier) Expect(w Witness) { v.witnesses = append(v.witnesses, w) }

// Verifier starts a check of a chain whose head is head.
func (c *Chain) Verifier(head store.AuditHead) *Verifier {
	return &Verifier{c: c, head: head, prev: Genesis()}
}

// Add checks the next record; it returns the first break (a *Break) once
// one is found.
func (v *Verifier) Add(e store.AuditEvent) error {
	if v.broken != nil {
		return v.broken
	}
	if p := v.pending; p != nil {
		v.pending = nil
		// Renumbered one back, would e follow the last record that holds?
		// Then p was slipped in before it.
		shifted := e
		shifted.ID--
		if e.ID == p.ID+1 && bytes.Equal(e.Prev, v.prev) && v.holds(shifted) {
			return v.fail(p.ID, p.At, "was inserted: it is not part of the chain, and the records after it were renumbered")
		}
		return v.fail(p.ID, p.At, "was changed: its content does not match its hash")
	}
	switch {
	case e.ID <= v.last:
		return v.fail(e.ID, e.At, "is out of order")
	case e.ID > v.last+1:
		return v.fail(v.last+1, time.Time{}, v.removed(e.ID-1, fmt.Sprintf("record %d of %s", e.ID, e.At.UTC().Format(time.RFC3339))))
	case e.ID > v.head.Seq:
		return v.fail(e.ID, e.At, fmt.Sprintf("was inserted: it is past the chain's head (record %d)", v.head.Seq))
	case !v.holds(e):
		if bytes.Equal(e.Prev, v.prev) {
			v.pending = &e
			return nil
		}
		return v.fail(e.ID, e.At, "was changed: its content does not match its hash")
	case !bytes.Equal(e.Prev, v.prev):
		return v.fail(e.ID, e.At, fmt.Sprintf("does not follow record %d%s: records between them were removed, or the records reordered", v.last, v.at()))
	}
	for _, w := range v.witnesses {
		if e.ID == w.Seq && !bytes.Equal(e.Hash, w.Hash) {
			return v.fail(e.ID, e.At, fmt.Sprintf("is not the record witnessed (hash %x): the audit was rewritten from there on", w.Hash))
		}
	}
	v.prev, v.last, v.lastAt = e.Hash, e.ID, e.At
	v.n++
	return nil
}

// Finish checks the end of the chain against its head, after the last
// record was added.
func (v *Verifier) Finish() (Summary, error) {
	if v.broken != nil {
		return Summary{}, v.broken
	}
	if p := v.pending; p != nil {
		return Summary{}, v.fail(p.ID, p.At, "was changed or forged: its content does not match its hash")
	}
	for _, w := range v.witnesses {
		if w.Seq > v.last {
			return Summary{}, v.fail(w.Seq, time.Time{}, fmt.Sprintf("was witnessed but is gone (the chain ends at record %d): "+
				"the audit was cut back, or restored from an older copy", v.last))
		}
	}
	switch {
	case v.last < v.head.Seq:
		return Summary{}, v.fail(v.last+1, time.Time{}, v.removed(v.head.Seq, fmt.Sprintf("the chain's head, record %d", v.head.Seq)))
	case !bytes.Equal(v.prev, v.head.Hash):
		return Summary{}, v.fail(v.last, v.lastAt, "does not match the chain's head: it was changed, or the head was")
	case !hmac.Equal(v.head.Seal, v.c.Seal(v.head)):
		return Summary{}, v.fail(v.head.Seq+1, time.Time{}, fmt.Sprintf("is missing, or the chain's head was changed: its seal does not match "+
			"(the newest records may have been removed and the head moved back to record %d)", v.head.Seq))
	}
	return Summary{Records: v.n, Head: v.head}, nil
}

// holds reports whether e's hash is its link from its own Prev.
func (v *Verifier) holds(e store.AuditEvent) bool {
	return len(e.Prev) == Size && hmac.Equal(e.Hash, v.c.Link(e.Prev, e))
}

// removed says that the records after the last that holds, up to to,
// are gone, and what the chain goes on to instead (next).
func (v *Verifier) removed(to int64, next string) string {
	what := "was removed"
	if to > v.last+1 {
		what += fmt.Sprintf(" (and so were the records after it, to record %d)", to)
	}
	if v.last == 0 {
		return what + ": the chain begins at " + next
	}
	return what + fmt.Sprintf(": the chain goes from record %d%s to %s", v.last, v.at(), next)
}

// at is the time of the last record that holds, for a message.
func (v *Verifier) at() string {
	if v.last == 0 {
		return ""
	}
	return " of " + v.lastAt.UTC().Format(time.RFC3339)
}

func (v *Verifier) fail(seq int64, at time.Time, what string) error {
	v.broken = &Break{Seq: seq, At: at, What: what}
	return v.broken
}
