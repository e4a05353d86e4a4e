package ws

import (
	"bytes"
	"testing"
)

func TestControlFrame(t *testing.T) {
	pong := []byte{0x8A, 0x80, 1, 2, 3, 4}
	ping := append([]byte{0x89, 0x82, 1, 2, 3, 4}, 'h'^1, 'i'^2)
	long := append([]byte{0x89, 0x80 | 125}, make([]byte, 4+125)...)
	tests := []struct {
		name string
		p    []byte
		size int
		more bool
	}{
		{"nothing yet", nil, 0, true},
		{"an empty pong", pong, 6, false},
		{"a ping with a payload", ping, 8, false},
		{"a ping and what follows", append(append([]byte{}, ping...), 0x81, 0x80), 8, false},
		{"the longest ping", long, 131, false},
		{"the first byte of a pong", pong[:1], 0, true},
		{"a pong without its masking key's end", pong[:5], 0, true},
		{"a ping without its payload's end", ping[:7], 0, true},
		{"a text message", []byte{0x81, 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0, false},
		{"a close", []byte{0x88, 0x80, 1, 2, 3, 4}, 0, false},
		{"an unmasked pong", []byte{0x8A, 0x00}, 0, false},
		{"a pong not final", []byte{0x0A, 0x80, 1, 2, 3, 4}, 0, false},
		{"a pong with a reserved bit", []byte{0xCA, 0x80, 1, 2, 3, 4}, 0, false},
		{"a ping of 126 bytes", []byte{0x89, 0x80 | 126, 0, 126}, 0, false},
		{"a ping of 127 bytes", []byte{0x89, 0xFF}, 0, false},
	}
	for _, tc := range tests {
		size, more := controlFrame(tc.p)
		if size != tc.size || more != tc.more {
			t.Errorf("%s: size %d, more %v; want %d, %v", tc.name, size, more, tc.size, tc.more)
		}
	}
	op, payload := unmask(append([]byte{}, ping...))
	if op != opPing || string(payload) != "hi" {
		t.Errorf("unmask: %#x %q", op, payload)
	}
}

// FuzzControlFrame feeds controlFrame what a client may send: a frame it
// takes is a whole ping or pong within p, each of whose beginnings is
// waited on, and what it leaves to gorilla stays so with more bytes.
func FuzzControlFrame(f *testing.F) {
	f.Add([]byte{0x8A, 0x80, 1, 2, 3, 4})
	f.Add([]byte{0x89, 0x82, 1, 2, 3, 4, 5, 6, 0x81})
	f.Add([]byte{0x81, 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0x89, 0xFE, 0, 200})
	f.Fuzz(func(t *testing.T, p []byte) {
		size, more := controlFrame(p)
		switch {
		case size > 0 && more:
			t.Fatal("a frame both whole and still coming")
		case size > 0:
			if size > len(p) || size > maxControlSize || size != 6+int(p[1]&0x7F) || (p[0] != 0x89 && p[0] != 0x8A) || p[1]&0x80 == 0 {
				t.Fatalf("took %d bytes of % x", size, p)
			}
			for i := range size {
				if s, m := controlFrame(p[:i]); s != 0 || !m {
					t.Fatalf("the first %d bytes of a whole frame: %d, %v", i, s, m)
				}
			}
			frame := bytes.Clone(p[:size])
			if op, payload := unmask(frame); op != p[0]&0x0F || len(payload) != size-6 {
				t.Fatalf("unmask: %#x, %d bytes", op, len(payload))
			}
		case !more:
			if s, m := controlFrame(append(bytes.Clone(p), 0, 0, 0)); s != 0 || m {
				t.Fatalf("left to gorilla, then taken with more bytes: % x", p)
			}
		}
	})
}
