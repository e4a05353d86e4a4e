package radius

import (
	"net/netip"
	"sync"
	"time"
)

// requestKey names a request as RFC 5080 (section 2.2.2) tells
// retransmissions apart: the client's address and port, the identifier
// and the request authenticator.
type requestKey struct {
	from netip.AddrPort
	id   byte
	auth [16]byte
}

// answered is what a request got: the answer's wire bytes, nil while it
// is being answered (a retransmission then is dropped).
type answered struct {
	wire    []byte
	expires time.Time
}

// duplicates remembers the answers of recent requests, so that a
// retransmission gets the same answer again without the rules running a
// second time (a passcode used up would otherwise turn an Accept into a
// Reject). It is bounded: when full, a new request is dropped.
type duplicates struct {
	mu    sync.Mutex
	m     map[requestKey]answered
	order []requestKey // oldest first, for the sweep
	keep  time.Duration
	max   int
}

func newDuplicates(keep time.Duration, max int) *duplicates {
	return &duplicates{m: map[requestKey]answered{}, keep: keep, max: max}
}

// begin reports whether k is a new request, and then marks it under way;
// otherwise it returns the answer it got (nil: still under way, or no
// answer kept).
func (d *duplicates) begin(k requestKey, now time.Time) (wire []byte, isNew bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sweep(now)
	if a, ok := d.m[k]; ok {
		return a.wire, false
	}
	if len(d.m) >= d.max {
		return nil, false
	}
	d.m[k] = answered{expires: now.Add(d.keep)}
	d.order = append(d.order, k)
	return nil, true
}

// done keeps the answer of k (wire), or forgets k when it got none, so
// that its retransmission is answered afresh.
func (d *duplicates) done(k requestKey, wire []byte, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if wire == nil {
		delete(d.m, k)
		return
	}
	d.m[k] = answered{wire: wire, expires: now.Add(d.keep)}
	d.order = append(d.order, k)
}

// sweep forgets the answers kept long enough. A request still under
// way stays (done lists it again with its answer).
func (d *duplicates) sweep(now time.Time) {
	i := 0
	for ; i < len(d.order); i++ {
		a, ok := d.m[d.order[i]]
		if ok && now.Before(a.expires) {
			break
		}
		if ok && a.wire != nil {
			delete(d.m, d.order[i])
		}
	}
	d.order = d.order[i:]
}
