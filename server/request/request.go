// Package request says what the server knows of an HTTP request's origin:
// the client's address, which the rate limits, the password throttle and
// the audit key on. The websocket and the pages ask it, so that both
// answer alike. (Nothing is taken from the Host header, which a client
// chooses: the server's name comes from its configuration.)
package request

import (
	"net"
	"net/http"
)

// ClientAddr is the address of the client that sent r, without its port.
func ClientAddr(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}
