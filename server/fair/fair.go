// Package fair keeps a bounded table that strangers fill (websockets not
// logged in yet, sessions of the web pages) so that no client address,
// nor a hundred of them, can hold it shut: each address may hold only so
// many entries, and when the table is full a newcomer takes the place of
// the oldest entry of the busiest address instead of being refused.
//
// # Whom a newcomer evicts
//
// An entry is Anonymous (it has proved nothing) or Proved (it has proved
// a password). When the table is full:
//
//   - While any address holds an anonymous entry, the victim is the
//     oldest anonymous entry of the address that holds the most entries
//     of all kinds among those (ties: the one whose victim is oldest).
//     Proved entries are then never evicted.
//   - Otherwise the victim is the oldest proved entry of the address that
//     holds the most entries.
//   - Either way, only if that address holds more entries than the
//     newcomer's: a newcomer from an address as busy as the busiest is
//     refused (ErrFull), or, with Limits.OwnFirst, takes the place of its
//     own address's oldest anonymous entry.
//
// A newcomer from an address that already holds Limits.PerAddr entries is
// refused (ErrAddrFull), or, with OwnFirst, takes the place of its own
// address's oldest anonymous entry.
//
// An entry marked busy (in the middle of a request) is never evicted: the
// victim is the oldest entry of its kind that is not busy, and when there
// is none the newcomer is refused.
//
// # One user ID
//
// Proved entries are claimed by the user ID whose password they proved
// (Claim): one user ID holds at most Limits.PerKey of them, its oldest
// idle one leaving for a newer one. Otherwise a stranger who knows one
// password would fill the table from a hundred addresses with entries
// that are evicted last.
//
// A client address counts as ratelimit.Source counts it: an IPv6 client
// as its /64. Every operation costs O(log A) for A addresses; a table of
// N entries holds N small entries and a heap entry per address, and no
// goroutine.
package fair

import (
	"container/heap"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/softtoken/softtoken/server/ratelimit"
)

// Class is what an entry has proved, which orders evictions.
type Class uint8

// The classes, in the order they are evicted.
const (
	// Anonymous entries have proved nothing.
	Anonymous Class = iota
	// Proved entries have proved a password: evicted only when no
	// address holds an anonymous entry.
	Proved
	classes
)

// Limits bound a table.
type Limits struct {
	// Max bounds the entries, PerAddr those of one client address.
	Max, PerAddr int
	// PerKey bounds the entries one key (a user ID) claims (0: no
	// bound): see Claim.
	PerKey int
	// OwnFirst: a newcomer whose address holds as many entries as it may
	// (PerAddr, or as many as the busiest when the table is full) takes
	// the place of its own address's oldest anonymous entry, if it has
	// one, instead of being refused.
	OwnFirst bool
}

// Why a newcomer is refused.
var (
	ErrAddrFull = errors.New("too many entries from this client address")
	ErrFull     = errors.New("the table is full")
)

// Table is a bounded table of entries holding values of type T. It is
// safe for concurrent use.
type Table[T any] struct {
	lim     Limits
	mu      sync.Mutex
	n       int
	seq     uint64
	evicted uint64
	byAddr  map[string]*source[T]
	byKey   map[string][]*Entry[T]
	// heaps[c] holds the addresses that hold entries of class c, the
	// next to lose one first.
	heaps [classes]addrHeap[T]
}

// Entry is one place in a table. Only its Value is the caller's.
type Entry[T any] struct {
	Value      T
	src        *source[T]
	prev, next *Entry[T]
	seq        uint64 // when it entered its list: lower is older
	class      Class
	busy       bool
	in         bool   // in the table: false once it left or was evicted
	key        string // the key that claimed it (Claim), "" for none
}

// source is a client address and its entries, one list per class, oldest
// first.
type source[T any] struct {
	key   string
	n     int
	lists [classes]struct{ head, tail *Entry[T] }
	at    [classes]int // index in heaps[class], -1 when not there
}

// New returns an empty table; limits below 1 count as 1.
func New[T any](lim Limits) *Table[T] {
	lim.Max, lim.PerAddr = max(lim.Max, 1), max(lim.PerAddr, 1)
	t := &Table[T]{lim: lim, byAddr: map[string]*source[T]{}, byKey: map[string][]*Entry[T]{}}
	for c := range classes {
		t.heaps[c].class = c
	}
	return t
}

// Admit adds an entry of class holding v for a newcomer from addr, busy
// or not. It returns the entry, and the entry evicted to make room for it
// (nil if none), which has left the table; or an error, ErrAddrFull or
// ErrFull, and no entry.
func (t *Table[T]) Admit(addr string, v T, class Class, busy bool) (e, victim *Entry[T], err error) {
	key := ratelimit.Source(addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	own := t.byAddr[key]
	switch {
	case own.count() >= t.lim.PerAddr:
		if victim = t.ownVictim(own); victim == nil {
			return nil, nil, ErrAddrFull
		}
	case t.n >= t.lim.Max:
		if victim = t.busiestVictim(own.count()); victim == nil {
			victim = t.ownVictim(own)
		}
		if victim == nil {
			return nil, nil, ErrFull
		}
	}
	if victim != nil {
		t.remove(victim)
		t.evicted++
	}
	src := t.byAddr[key] // the victim may have been own's last entry
	if src == nil {
		src = &source[T]{key: key, at: [classes]int{-1, -1}}
		t.byAddr[key] = src
	}
	e = &Entry[T]{Value: v, busy: busy}
	t.add(src, e, class)
	return e, victim, nil
}

// count is how many entries s holds (0 for nil).
func (s *source[T]) count() int {
	if s == nil {
		return 0
	}
	return s.n
}

// busiestVictim is the entry to evict for a newcomer whose address holds
// own entries, or nil (see the package comment).
func (t *Table[T]) busiestVictim(own int) *Entry[T] {
	for c := range classes {
		h := t.heaps[c].s
		if len(h) == 0 {
			continue
		}
		if h[0].n <= own {
			return nil
		}
		return h[0].oldestIdle(c)
	}
	return nil
}

// ownVictim is own's oldest anonymous entry not busy, if the table evicts
// a newcomer's own entries (OwnFirst).
func (t *Table[T]) ownVictim(own *source[T]) *Entry[T] {
	if !t.lim.OwnFirst || own == nil {
		return nil
	}
	return own.oldestIdle(Anonymous)
}

// oldestIdle is s's oldest entry of class c that is not busy, or nil.
func (s *source[T]) oldestIdle(c Class) *Entry[T] {
	e := s.lists[c].head
	for e != nil && e.busy {
		e = e.next
	}
	return e
}

// Leave takes e out of the table; it reports false if e had already left
// or was evicted.
func (t *Table[T]) Leave(e *Entry[T]) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !e.in {
		return false
	}
	t.remove(e)
	return true
}

// Promote makes e Proved, as the newest of its address's proved entries;
// it reports false if e was evicted or has left.
func (t *Table[T]) Promote(e *Entry[T]) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !e.in {
		return false
	}
	if e.class != Proved {
		src := e.src
		t.unlink(e)
		t.add(src, e, Proved)
	}
	return true
}

// Claim names e as one of key's entries (key: the user ID whose password
// e proved, compared without case). When key then holds more than
// Limits.PerKey, its oldest entry that is not busy, other than e, leaves
// the table and is returned for the caller to close; nil when none does.
// It returns nil, and does nothing, once e has left.
func (t *Table[T]) Claim(e *Entry[T], key string) *Entry[T] {
	key = strings.ToLower(key)
	t.mu.Lock()
	defer t.mu.Unlock()
	if !e.in || key == "" || e.key == key {
		return nil
	}
	t.unclaim(e)
	e.key = key
	t.byKey[key] = append(t.byKey[key], e)
	if t.lim.PerKey <= 0 || len(t.byKey[key]) <= t.lim.PerKey {
		return nil
	}
	for _, old := range t.byKey[key] {
		if old != e && !old.busy {
			t.remove(old)
			t.evicted++
			return old
		}
	}
	return nil
}

// unclaim forgets e's key, if it has one.
func (t *Table[T]) unclaim(e *Entry[T]) {
	if e.key == "" {
		return
	}
	list := slices.DeleteFunc(t.byKey[e.key], func(x *Entry[T]) bool { return x == e })
	if len(list) == 0 {
		delete(t.byKey, e.key)
	} else {
		t.byKey[e.key] = list
	}
	e.key = ""
}

// SetBusy marks e busy (never evicted) or not; it reports false if e was
// evicted or has left, and then leaves it so.
func (t *Table[T]) SetBusy(e *Entry[T], busy bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !e.in {
		return false
	}
	e.busy = busy
	return true
}

// Len is how many entries the table holds.
func (t *Table[T]) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// Evicted is how many entries were evicted to make room for newcomers.
func (t *Table[T]) Evicted() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.evicted
}

// add appends e to src's list of class c, as its newest.
func (t *Table[T]) add(src *source[T], e *Entry[T], c Class) {
	t.seq++
	e.src, e.seq, e.class, e.in = src, t.seq, c, true
	l := &src.lists[c]
	e.prev, e.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = e
	} else {
		l.head = e
	}
	l.tail = e
	src.n++
	t.n++
	t.place(src)
}

// remove takes e out, and forgets its address once it holds nothing.
func (t *Table[T]) remove(e *Entry[T]) {
	src := e.src
	t.unclaim(e)
	t.unlink(e)
	t.place(src)
	if src.n == 0 {
		delete(t.byAddr, src.key)
	}
}

// unlink takes e out of its address's list; the address's place in the
// heaps is for the caller to fix.
func (t *Table[T]) unlink(e *Entry[T]) {
	src, l := e.src, &e.src.lists[e.class]
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next, e.in = nil, nil, false
	src.n--
	t.n--
}

// place puts src where it belongs in each heap after a change: in
// heaps[c] while it holds entries of class c.
func (t *Table[T]) place(src *source[T]) {
	for c := range classes {
		h := &t.heaps[c]
		switch in := src.at[c] >= 0; {
		case src.lists[c].head == nil && in:
			heap.Remove(h, src.at[c])
		case src.lists[c].head != nil && in:
			heap.Fix(h, src.at[c])
		case src.lists[c].head != nil:
			heap.Push(h, src)
		}
	}
}

// addrHeap orders the addresses holding entries of one class: most
// entries first, then the one whose oldest entry of the class is oldest.
type addrHeap[T any] struct {
	class Class
	s     []*source[T]
}

func (h *addrHeap[T]) Len() int { return len(h.s) }

func (h *addrHeap[T]) Less(i, j int) bool {
	a, b := h.s[i], h.s[j]
	if a.n != b.n {
		return a.n > b.n
	}
	return a.lists[h.class].head.seq < b.lists[h.class].head.seq
}

func (h *addrHeap[T]) Swap(i, j int) {
	h.s[i], h.s[j] = h.s[j], h.s[i]
	h.s[i].at[h.class], h.s[j].at[h.class] = i, j
}

func (h *addrHeap[T]) Push(x any) {
	src := x.(*source[T])
	src.at[h.class] = len(h.s)
	h.s = append(h.s, src)
}

func (h *addrHeap[T]) Pop() any {
	last := h.s[len(h.s)-1]
	h.s[len(h.s)-1] = nil
	h.s = h.s[:len(h.s)-1]
	last.at[h.class] = -1
	return last
}
