package store

import (
	"context"
	"sync"
)

// Reading ahead and holding a connection: hints from the rules to a store
// that sends several statements in one round trip (PostgreSQL's, see
// server/sqlstore's pipeline.go), so that a transaction's reads go with a
// statement it sends anyway instead of each costing a round trip. A hint
// changes no outcome: what was read ahead answers only the very read it
// names, only in the transaction that read it, and is forgotten once the
// transaction writes that table; a store that does not batch ignores it.

// Batching is what a Tx offers for reads ahead.
type Batching interface {
	// Peek reads within the transaction without locking what it reads:
	// what a View would read at that moment (an administrator's grant,
	// checked on the way, whose row every one of their requests reads).
	Peek() ReadTx
	// Soon says what the transaction reads next (a hint, see Ahead): a
	// store that batches statements sends those reads with its next one.
	Soon(a Ahead)
	// Then says that once this transaction commits the caller runs
	// another, in the same session (Hold), that begins by reading a: a
	// store that batches statements may begin it with this one's COMMIT.
	// Without a session it is ignored.
	Then(a Ahead)
}

// Ahead names reads a transaction is about to make.
type Ahead struct {
	// User is the row ID of a user whose row the transaction reads and
	// locks (UserByID), with the rows that hang from it; 0: none.
	User int64
	// LockToken says the user's token, read with the user's row, is read
	// with its row lock too: for a transaction that will accept one of its
	// steps (AcceptStep), whose write then never waits.
	LockToken bool
	// Peek is the row ID of a user whose row the transaction reads
	// without locking it (Tx.Peek's UserByID); 0: none.
	Peek int64
	// PeekUserID is the same by user ID (Tx.Peek's UserByUserID); "":
	// none.
	PeekUserID string
	// FirstFactorKey and FirstFactorSource name the throttle that
	// ReserveFirstFactor will take (its row is made, or locked, by the
	// read); empty: none.
	FirstFactorKey, FirstFactorSource string
	// AuditHead says the transaction will append to the audit (Tx.Audit
	// reads and locks the chain's head).
	AuditHead bool
}

// Session is a series of transactions run one after another for one
// request (Hold), which a store may run on one connection so that each
// can begin with the COMMIT of the one before (Tx.Then). A session is
// used by one goroutine at a time.
type Session struct {
	mu sync.Mutex
	// held is the store's own state (its connection), and release what
	// gives it back; both nil until a store holds something.
	held    any
	release func()
}

type sessionKey struct{}

// Hold begins a session: the transactions run with the returned context
// may share one connection, and the next may begin with the last one's
// COMMIT (Tx.Then). The caller must call end when the series is over,
// whatever happened (a transaction begun ahead and not used is rolled
// back, and the connection returns to the pool). Between two
// transactions of a session the caller must do nothing slow: a
// transaction begun ahead holds the rows it locked meanwhile.
func Hold(ctx context.Context) (context.Context, func()) {
	s := &Session{}
	return context.WithValue(ctx, sessionKey{}, s), s.end
}

// WithoutSession is ctx without its session (Hold), for a transaction
// that must not use it.
func WithoutSession(ctx context.Context) context.Context {
	return context.WithValue(ctx, sessionKey{}, (*Session)(nil))
}

// SessionOf is ctx's session (Hold), or nil.
func SessionOf(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// Held gives the store's state kept in the session (nil: none), taking
// the session until the returned done is called: a store calls it for
// the length of one transaction, and keep replaces the state and what
// releases it. ok is false when the session is taken (a transaction run
// from inside another, or on another goroutine): the store then runs the
// transaction outside the session, as it would without one.
func (s *Session) Held() (held any, keep func(held any, release func()), done func(), ok bool) {
	if !s.mu.TryLock() {
		return nil, nil, nil, false
	}
	return s.held, func(h any, r func()) { s.held, s.release = h, r }, s.mu.Unlock, true
}

// end releases what a store holds in the session.
func (s *Session) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.release != nil {
		s.release()
	}
	s.held, s.release = nil, nil
}
