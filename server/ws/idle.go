package ws

import (
	"bufio"
	"net"
	"syscall"
)

// An idle socket is waited on outside gorilla/websocket. Gorilla reads
// control frames (pings, pongs) only inside a blocking read of the next
// message, so a socket that answers the server's pings would keep a
// goroutine parked deep in gorilla's read path for as long as it lives:
// a 4 KB stack, most of what an idle logged-in socket costs
// (docs/benchmarks.md, "Idle sockets"). Instead the socket's goroutine
// waits on the descriptor itself, with the shallowest stack a goroutine
// can have (2 KB); it takes pings and pongs (waiting for the rest of
// one begun, unless the client is gone), and hands the socket to gorilla
// only when something else comes: a message, a close, a frame the
// protocol does not allow, an error or the end.

// Opcodes and bits of the frames the waiter takes (RFC 6455, 5.2).
const (
	finBit         = 0x80
	maskBit        = 0x80
	opPing         = 0x9
	opPong         = 0xA
	maxControlLen  = 125
	maxControlSize = 2 + 4 + maxControlLen // header, masking key, payload
)

// controlFrame reads the start of what a client sent. A complete ping or
// pong frame, final, masked, without reserved bits, of at most 125
// bytes, gives its size (size > 0). A start of one that is still coming
// gives more. Anything else gives neither: it is for gorilla, which
// reads messages and refuses what the protocol does not allow. p comes
// from the network: this is a parser of untrusted input.
func controlFrame(p []byte) (size int, more bool) {
	if len(p) == 0 {
		return 0, true
	}
	if p[0] != finBit|opPing && p[0] != finBit|opPong {
		return 0, false
	}
	if len(p) < 2 {
		return 0, true
	}
	n := int(p[1] &^ maskBit)
	if p[1]&maskBit == 0 || n > maxControlLen {
		return 0, false
	}
	if size = 2 + 4 + n; len(p) < size {
		return 0, true
	}
	return size, false
}

// unmask returns a complete control frame's opcode and payload, unmasked
// in place.
func unmask(frame []byte) (op byte, payload []byte) {
	key, payload := frame[2:6], frame[6:]
	for i := range payload {
		payload[i] ^= key[i%4]
	}
	return frame[0] &^ finBit, payload
}

// idleWaiter waits for a socket's next message outside gorilla. br is
// gorilla's read buffer (the socket's), raw the socket's descriptor.
type idleWaiter struct {
	br  *bufio.Reader
	raw syscall.RawConn
}

// newIdleWaiter returns the waiter of a socket, or nil where its bytes
// cannot be read from its descriptor (TLS, or a platform without a
// non-blocking peek): gorilla then waits for messages itself.
func newIdleWaiter(nc net.Conn, br *bufio.Reader) *idleWaiter {
	tc, ok := nc.(*net.TCPConn)
	if !ok || br == nil || !canPeek {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return &idleWaiter{br: br, raw: raw}
}

// wait returns once the socket holds something for gorilla to read (or
// a read error, the end or a deadline for it to meet), calling control
// for each ping or pong taken on the way; an error of control's, or of
// the wait itself (a deadline, the socket closed), ends the socket.
func (w *idleWaiter) wait(control func(op byte, payload []byte) error) error {
	for {
		frame, err := w.next()
		if err != nil || frame == nil {
			return err
		}
		if err := control(unmask(frame)); err != nil {
			return err
		}
	}
}

// next takes a whole ping or pong from gorilla's buffer or, when that is
// empty, from the socket, waiting for it; it returns nil when something
// else is there for gorilla.
func (w *idleWaiter) next() ([]byte, error) {
	for n := w.br.Buffered(); n > 0; n = w.br.Buffered() {
		p, _ := w.br.Peek(n)
		size, more := controlFrame(p)
		if more {
			// The start of a ping or pong that gorilla read ahead:
			// wait for the rest here, not inside gorilla's read.
			if _, err := w.br.Peek(n + 1); err != nil {
				return nil, err
			}
			continue
		}
		if size == 0 {
			return nil, nil // gorilla reads it
		}
		frame := make([]byte, size)
		_, err := w.br.Read(frame) // buffered: all of it at once
		return frame, err
	}
	return peekControl(w.raw)
}
