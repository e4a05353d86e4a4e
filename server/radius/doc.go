// Package radius is the RADIUS door (RFC 2865): a VPN concentrator, a
// remote desktop gateway or a firewall asks it whether a user may in, by
// PAP, and it answers through the one rules service (server/account),
// like the websocket: the password first, then an Access-Challenge for
// the passcode, whose State binds the second request to the first
// (docs/radius.md).
//
// It is an adapter: it checks the packet (the client is listed, its
// Message-Authenticator is right, it is not a retransmission of one
// already answered), calls one method of account.Service, and renders its
// result as Access-Accept, Access-Challenge or Access-Reject. Lockout,
// throttling, the replay guard of passcodes and the audit are the
// service's. layeh.com/radius reads and writes the packets; it does not
// check Message-Authenticator (attribute 80), which this package does
// itself, on every request, and signs every answer with (RFC 3579, the
// BlastRADIUS lesson).
package radius
