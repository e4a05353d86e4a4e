package ws

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// canPeek: Linux can look at a socket's bytes without taking them.
const canPeek = true

// peekControl waits until the socket has bytes, and takes them only when
// they begin with a whole ping or pong (returned): anything else is left
// for gorilla (nil). A ping or pong still arriving is waited for. The
// wait is the runtime's network poller's, which keeps the socket's read
// deadline. Thousands of sockets wait at once: the buffer the callback
// peeks into is lent only while it runs.
func peekControl(raw syscall.RawConn) ([]byte, error) {
	var frame []byte
	var takeErr error
	err := raw.Read(func(fd uintptr) bool {
		buf := peekBuffers.Get().(*[maxControlSize]byte)
		defer peekBuffers.Put(buf)
		n, err := recv(int(fd), buf[:], unix.MSG_PEEK)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return false // nothing yet: the poller waits
		case err != nil || n == 0:
			return true // gorilla meets the error or the end
		}
		size, more := controlFrame(buf[:n])
		if more {
			return peerGone(int(fd)) // the rest of a ping or pong is coming, unless the client is gone
		}
		if size == 0 {
			return true // a message: gorilla's
		}
		// The peeked bytes are in the socket's buffer: all come at once.
		frame = make([]byte, size)
		got, err := recv(int(fd), frame, 0)
		if err == nil && got != size {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			takeErr = fmt.Errorf("take a control frame: %d of %d bytes: %w", got, size, err)
		}
		return true
	})
	if err == nil {
		err = takeErr
	}
	return frame, err
}

// peekBuffers lends peekControl's callbacks their buffers.
var peekBuffers = sync.Pool{New: func() any { return new([maxControlSize]byte) }}

// recv reads from a socket without waiting, again when a signal
// interrupts it.
func recv(fd int, p []byte, flags int) (int, error) {
	for {
		n, _, err := unix.Recvfrom(fd, p, flags|unix.MSG_DONTWAIT)
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}

// peerGone reports whether the client ended its half of the stream or
// the connection failed: bytes still unread hide both from recv.
func peerGone(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0
}
