package fair

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// step is one operation on a table, on the entry called name.
type step struct {
	op     string // admit, leave, promote, busy, idle
	name   string
	addr   string // admit: where the newcomer comes from
	class  Class  // admit
	victim string // admit: the entry evicted for it ("": none)
	err    error  // admit
	ok     bool   // leave, promote, busy, idle: what it reports
}

func admit(name, addr string, victim string) step {
	return step{op: "admit", name: name, addr: addr, victim: victim}
}
func proved(name, addr string, victim string) step {
	return step{op: "admit", name: name, addr: addr, class: Proved, victim: victim}
}
func refused(name, addr string, err error) step {
	return step{op: "admit", name: name, addr: addr, err: err}
}
func op(op, name string, ok bool) step { return step{op: op, name: name, ok: ok} }

func TestEvictions(t *testing.T) {
	tests := []struct {
		name  string
		lim   Limits
		steps []step
	}{
		{"an address at its cap is refused", Limits{Max: 10, PerAddr: 2}, []step{
			admit("a1", "10.0.0.1", ""), admit("a2", "10.0.0.1", ""), refused("a3", "10.0.0.1", ErrAddrFull),
			admit("b1", "10.0.0.2", "")}},
		{"an IPv6 /64 is one address", Limits{Max: 10, PerAddr: 1}, []step{
			admit("a1", "2001:db8::1", ""), refused("a2", "2001:db8::ffff", ErrAddrFull), admit("b1", "2001:db8:0:1::1", "")}},
		{"with OwnFirst, an address at its cap loses its oldest anonymous entry", Limits{Max: 10, PerAddr: 2, OwnFirst: true}, []step{
			admit("a1", "10.0.0.1", ""), admit("a2", "10.0.0.1", ""), admit("a3", "10.0.0.1", "a1")}},
		{"with OwnFirst, an address at its cap keeps its proved entries", Limits{Max: 10, PerAddr: 2, OwnFirst: true}, []step{
			proved("a1", "10.0.0.1", ""), proved("a2", "10.0.0.1", ""), refused("a3", "10.0.0.1", ErrAddrFull)}},
		{"a full table loses the oldest entry of the busiest address", Limits{Max: 4, PerAddr: 3}, []step{
			admit("b1", "10.0.0.2", ""), admit("a1", "10.0.0.1", ""), admit("a2", "10.0.0.1", ""), admit("a3", "10.0.0.1", ""),
			admit("c1", "10.0.0.3", "a1"), admit("c2", "10.0.0.3", "a2"),
			// a, b and c hold 1, 1 and 2: c is the busiest now, and
			// c's newcomer is as busy as the busiest.
			refused("c3", "10.0.0.3", ErrFull), admit("d1", "10.0.0.4", "c1")}},
		{"between addresses as busy, the oldest entry goes", Limits{Max: 4, PerAddr: 2}, []step{
			admit("a1", "10.0.0.1", ""), admit("b1", "10.0.0.2", ""), admit("b2", "10.0.0.2", ""), admit("a2", "10.0.0.1", ""),
			admit("c1", "10.0.0.3", "a1"), admit("d1", "10.0.0.4", "b1")}},
		{"with OwnFirst, a newcomer as busy as the busiest takes its own oldest's place", Limits{Max: 4, PerAddr: 3, OwnFirst: true}, []step{
			admit("a1", "10.0.0.1", ""), admit("a2", "10.0.0.1", ""), admit("b1", "10.0.0.2", ""), admit("b2", "10.0.0.2", ""),
			admit("b3", "10.0.0.2", "b1")}},
		{"anonymous entries go before proved ones of a busier address", Limits{Max: 3, PerAddr: 3}, []step{
			proved("p1", "10.0.0.9", ""), proved("p2", "10.0.0.9", ""), admit("a1", "10.0.0.1", ""),
			admit("c1", "10.0.0.3", "a1"),
			// Only c holds an anonymous entry, and its newcomer is as
			// busy as c: refused, though p holds more.
			refused("c2", "10.0.0.3", ErrFull)}},
		{"proved entries go when no anonymous one is left", Limits{Max: 3, PerAddr: 3}, []step{
			proved("p1", "10.0.0.9", ""), proved("p2", "10.0.0.9", ""), proved("q1", "10.0.0.8", ""),
			admit("c1", "10.0.0.3", "p1"), admit("d1", "10.0.0.4", "c1")}},
		{"a promoted entry is the newest proved one", Limits{Max: 3, PerAddr: 3}, []step{
			admit("p1", "10.0.0.9", ""), proved("p2", "10.0.0.9", ""), proved("p3", "10.0.0.9", ""), op("promote", "p1", true),
			proved("c1", "10.0.0.3", "p2"), proved("d1", "10.0.0.4", "p3"), proved("e1", "10.0.0.5", "p1")}},
		{"a busy entry is never evicted", Limits{Max: 2, PerAddr: 2}, []step{
			admit("a1", "10.0.0.1", ""), op("busy", "a1", true), admit("a2", "10.0.0.1", ""),
			admit("c1", "10.0.0.3", "a2"),
			// a and c hold one each, and a's oldest is busy.
			refused("d1", "10.0.0.4", ErrFull), op("idle", "a1", true), admit("d1", "10.0.0.4", "a1")}},
		{"an entry that left makes room", Limits{Max: 1, PerAddr: 1}, []step{
			admit("a1", "10.0.0.1", ""), op("leave", "a1", true), op("leave", "a1", false), admit("b1", "10.0.0.2", "")}},
		{"an evicted entry has left", Limits{Max: 1, PerAddr: 1}, []step{
			admit("a1", "10.0.0.1", ""), op("busy", "a1", true), op("idle", "a1", true), admit("b1", "10.0.0.2", "a1"),
			op("busy", "a1", false), op("promote", "a1", false), op("leave", "a1", false), op("leave", "b1", true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := New[string](tt.lim)
			entries := map[string]*Entry[string]{}
			for i, s := range tt.steps {
				switch s.op {
				case "admit":
					e, victim, err := tab.Admit(s.addr, s.name, s.class, false)
					got := ""
					if victim != nil {
						got = victim.Value
					}
					if !errors.Is(err, s.err) || got != s.victim || (err == nil) != (e != nil) {
						t.Fatalf("step %d, %s from %s: evicted %q, error %v; want %q, %v", i+1, s.name, s.addr, got, err, s.victim, s.err)
					}
					entries[s.name] = e
				default:
					e := entries[s.name]
					got := map[string]func() bool{
						"leave":   func() bool { return tab.Leave(e) },
						"promote": func() bool { return tab.Promote(e) },
						"busy":    func() bool { return tab.SetBusy(e, true) },
						"idle":    func() bool { return tab.SetBusy(e, false) },
					}[s.op]()
					if got != s.ok {
						t.Fatalf("step %d, %s %s: %v, want %v", i+1, s.op, s.name, got, s.ok)
					}
				}
				tab.check(t)
			}
		})
	}
}

// check fails the test unless the table's counts, lists and heaps agree.
func (t *Table[T]) check(tb testing.TB) {
	tb.Helper()
	t.mu.Lock()
	defer t.mu.Unlock()
	total := 0
	for key, src := range t.byAddr {
		n := 0
		for c := range classes {
			var prev *Entry[T]
			for e := src.lists[c].head; e != nil; prev, e = e, e.next {
				if e.src != src || e.class != c || !e.in || e.prev != prev || (prev != nil && prev.seq >= e.seq) {
					tb.Fatalf("%s: class %d: a broken list", key, c)
				}
				n++
			}
			if src.lists[c].tail != prev {
				tb.Fatalf("%s: class %d: the tail is not the last entry", key, c)
			}
			if in := src.at[c] >= 0; in != (prev != nil) || in && t.heaps[c].s[src.at[c]] != src {
				tb.Fatalf("%s: class %d: in the heap at %d with entries %v", key, c, src.at[c], prev != nil)
			}
		}
		if n != src.n || n == 0 || n > t.lim.PerAddr {
			tb.Fatalf("%s: counts %d, holds %d (at most %d)", key, src.n, n, t.lim.PerAddr)
		}
		total += n
	}
	if total != t.n || t.n > t.lim.Max {
		tb.Fatalf("the table counts %d, holds %d (at most %d)", t.n, total, t.lim.Max)
	}
	for c := range classes {
		h := &t.heaps[c]
		for i := 1; i < h.Len(); i++ {
			if h.Less(i, (i-1)/2) {
				tb.Fatalf("class %d: the heap is out of order at %d", c, i)
			}
		}
	}
}

// model is the package comment's rule, computed by looking at every
// entry, for TestAgainstTheRule.
type model struct {
	lim Limits
	seq uint64
	all []*modelEntry
}

type modelEntry struct {
	addr       string
	class      Class
	seq        uint64
	busy, gone bool
}

func (m *model) count(addr string) (n int) {
	for _, e := range m.all {
		if !e.gone && e.addr == addr {
			n++
		}
	}
	return n
}

// oldest is addr's oldest live entry of class c not busy, or -1.
func (m *model) oldest(addr string, c Class) int {
	best := -1
	for i, e := range m.all {
		if !e.gone && !e.busy && e.addr == addr && e.class == c && (best < 0 || e.seq < m.all[best].seq) {
			best = i
		}
	}
	return best
}

// victim is the index of the entry a newcomer from addr evicts, -1 for
// none, or an error.
func (m *model) victim(addr string) (int, error) {
	own, live := m.count(addr), 0
	for _, e := range m.all {
		if !e.gone {
			live++
		}
	}
	ownFirst := func(err error) (int, error) {
		if i := m.oldest(addr, Anonymous); m.lim.OwnFirst && i >= 0 {
			return i, nil
		}
		return -1, err
	}
	switch {
	case own >= m.lim.PerAddr:
		return ownFirst(ErrAddrFull)
	case live < m.lim.Max:
		return -1, nil
	}
	for c := range classes {
		// The busiest address holding class c, ties to the oldest
		// entry of the class.
		best, bestN, bestSeq := "", -1, uint64(0)
		for _, e := range m.all {
			if e.gone || e.class != c {
				continue
			}
			n, seq := m.count(e.addr), m.headSeq(e.addr, c)
			if n > bestN || n == bestN && seq < bestSeq {
				best, bestN, bestSeq = e.addr, n, seq
			}
		}
		if bestN < 0 {
			continue
		}
		if i := m.oldest(best, c); bestN > own && i >= 0 {
			return i, nil
		}
		break
	}
	return ownFirst(ErrFull)
}

// headSeq is the seq of addr's oldest live entry of class c, busy or not.
func (m *model) headSeq(addr string, c Class) uint64 {
	var s uint64
	for _, e := range m.all {
		if !e.gone && e.addr == addr && e.class == c && (s == 0 || e.seq < s) {
			s = e.seq
		}
	}
	return s
}

// TestAgainstTheRule runs random operations on a table and on a model
// that applies the package comment's rule by looking at every entry, and
// compares every eviction.
func TestAgainstTheRule(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		lim := Limits{Max: 1 + rng.IntN(12), PerAddr: 1 + rng.IntN(5), OwnFirst: rng.IntN(2) == 0}
		tab, m := New[int](lim), &model{lim: lim}
		var entries []*Entry[int]
		for i := range 2000 {
			var ok, want bool
			k := rng.IntN(len(entries) + 1)
			switch {
			case k == len(entries) || rng.IntN(3) == 0:
				addr := fmt.Sprintf("10.0.0.%d", rng.IntN(5))
				class := Class(rng.IntN(int(classes)))
				wantVictim, wantErr := m.victim(addr)
				e, victim, err := tab.Admit(addr, len(entries), class, false)
				got := -1
				if victim != nil {
					got = victim.Value
				}
				if got != wantVictim || !errors.Is(err, wantErr) {
					t.Fatalf("seed %d, step %d (%+v): from %s, evicted %d, %v; want %d, %v", seed, i, lim, addr, got, err, wantVictim, wantErr)
				}
				if wantVictim >= 0 {
					m.all[wantVictim].gone = true
				}
				if err == nil {
					m.seq++
					entries = append(entries, e)
					m.all = append(m.all, &modelEntry{addr: addr, class: class, seq: m.seq})
				}
				continue
			case rng.IntN(3) == 0:
				ok, want = tab.Leave(entries[k]), !m.all[k].gone
				m.all[k].gone = true
			case rng.IntN(2) == 0:
				ok, want = tab.Promote(entries[k]), !m.all[k].gone
				if want && m.all[k].class != Proved {
					m.seq++
					m.all[k].class, m.all[k].seq = Proved, m.seq
				}
			default:
				busy := rng.IntN(2) == 0
				ok, want = tab.SetBusy(entries[k], busy), !m.all[k].gone
				if want {
					m.all[k].busy = busy
				}
			}
			if ok != want {
				t.Fatalf("seed %d, step %d: entry %d reported %v, want %v", seed, i, k, ok, want)
			}
			tab.check(t)
		}
	}
}

// TestConcurrentUse: goroutines admit, promote, mark and leave entries
// at once (run with -race); the table's bounds and structure hold.
func TestConcurrentUse(t *testing.T) {
	tab := New[int](Limits{Max: 50, PerAddr: 8, OwnFirst: true})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			var mine []*Entry[int]
			for i := range 3000 {
				if e, _, err := tab.Admit(fmt.Sprintf("10.0.%d.%d", g%2, rng.IntN(12)), i, Anonymous, rng.IntN(4) == 0); err == nil {
					mine = append(mine, e)
				}
				if len(mine) == 0 {
					continue
				}
				e := mine[rng.IntN(len(mine))]
				switch rng.IntN(4) {
				case 0:
					tab.Leave(e)
				case 1:
					tab.Promote(e)
				default:
					tab.SetBusy(e, rng.IntN(2) == 0)
				}
			}
		})
	}
	wg.Wait()
	tab.check(t)
	if n := tab.Len(); n == 0 || n > 50 {
		t.Errorf("the table holds %d entries, want 1 to 50", n)
	}
	if tab.Evicted() == 0 {
		t.Error("no entry was ever evicted from a table always full")
	}
}

var _ heap.Interface = (*addrHeap[int])(nil)
