// Package request says what the server knows of an HTTP request's origin:
// the client's address, which the rate limits, the password throttle and
// the audit key on, and the host name the client asked for, which names
// the issuer of the tokens it enrols. The websocket and the pages ask it,
// so that both answer alike.
package request

import (
	"net"
	"net/http"
)

// ClientAddr is the address of the client that sent r, without its port.
func ClientAddr(r *http.Request) string { return hostOnly(r.RemoteAddr) }

// Host is the host name the client reached the server by, without port.
func Host(r *http.Request) string { return hostOnly(r.Host) }

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
