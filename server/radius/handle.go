package radius

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	"github.com/softtoken/softtoken/server/account"
)

// Results, for the metrics: an answer's kind, or why a request was
// dropped without one.
const (
	resultAccept           = "accept"
	resultChallenge        = "challenge"
	resultReject           = "reject"
	resultUserRate         = "reject_user_rate_limited" // too many logins of one user begun
	resultDuplicate        = "duplicate"                // the kept answer sent again
	resultUnknownClient    = "dropped_unknown_client"
	resultNoAuthenticator  = "dropped_no_message_authenticator"
	resultBadAuthenticator = "dropped_bad_message_authenticator"
	resultMalformed        = "dropped_malformed"
	resultUnsupported      = "dropped_unsupported"
	resultInFlight         = "dropped_in_flight"
	resultClientRate       = "dropped_rate_limited"
	resultBusy             = "dropped_busy"
	resultFailed           = "dropped_failed"
	resultUnavailable      = "dropped_unavailable" // the database cannot be reached
	resultReplayed         = "dropped_replayed"    // a one-step request seen before (replays)
)

// unknownClient is the client label of a request from an address no
// client has.
const unknownClient = "unknown"

// Handle answers the request b (a datagram) that came from from: the
// wire bytes of the answer, or nil when it is dropped. A request from an
// address not listed, without a right Message-Authenticator, or
// malformed is dropped unread; a retransmission of a request answered in
// the last seconds gets that answer again, without the rules running
// twice.
func (s *Server) Handle(ctx context.Context, b []byte, from netip.AddrPort) []byte {
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port()) // an IPv4 client of a socket on [::]
	c := s.cfg.Clients.find(from.Addr())
	if c == nil {
		s.cfg.Metrics.RADIUS(unknownClient, resultUnknownClient)
		return nil
	}
	p, result := parseRequest(b, c.Secret)
	if p == nil {
		s.cfg.Metrics.RADIUS(c.Name, result)
		return nil
	}
	now := s.cfg.Now()
	key := requestKey{from: from, id: p.Identifier, auth: p.Authenticator}
	kept, isNew := s.answers.begin(key, now)
	switch {
	case !isNew && kept != nil:
		s.cfg.Metrics.RADIUS(c.Name, resultDuplicate)
		return kept
	case !isNew:
		s.cfg.Metrics.RADIUS(c.Name, resultInFlight)
		return nil
	}
	var out []byte
	defer func() { s.answers.done(key, out, s.cfg.Now()) }()
	if !s.clientRate.Allow("client:"+c.Name, now) {
		s.cfg.Metrics.RADIUS(c.Name, resultClientRate)
		return nil
	}
	answer, result := s.decide(ctx, c, from.Addr(), p)
	if answer != nil {
		copyProxyState(p, answer)
		var err error
		if out, err = encodeSigned(answer); err != nil {
			s.cfg.Logger.Error("radius: answer not encoded", "client", c.Name, "err", err)
			out, result = nil, resultFailed
		}
	}
	s.cfg.Metrics.RADIUS(c.Name, result)
	return out
}

// parseRequest reads the Access-Request b (the datagram) signed with
// secret; nil and why when it is dropped: too short, not an
// Access-Request, without exactly one right Message-Authenticator, or
// malformed. Bytes after the packet's length are ignored (RFC 2865).
func parseRequest(b, secret []byte) (*radius.Packet, string) {
	if len(b) < 20 {
		return nil, resultMalformed
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n < 20 || n > len(b) || n > radius.MaxPacketLength {
		return nil, resultMalformed
	}
	b = b[:n]
	if radius.Code(b[0]) != radius.CodeAccessRequest {
		return nil, resultUnsupported
	}
	if err := checkAuthenticator(b, secret); errors.Is(err, errNoAuthenticator) {
		return nil, resultNoAuthenticator
	} else if err != nil {
		return nil, resultBadAuthenticator
	}
	p, err := radius.Parse(b, secret)
	if err != nil {
		return nil, resultMalformed
	}
	return p, ""
}

// typeProxyState is attribute 33, which a proxy adds to a request and
// the server must copy, in order, into its answer (RFC 2865, 5.33).
const typeProxyState = 33

// Attributes of the methods not spoken: CHAP-Password (RFC 2865, 5.3)
// and EAP-Message (RFC 3579, 3.1).
const (
	typeCHAPPassword = 3
	typeEAPMessage   = 79
)

// has reports whether p carries an attribute of type typ.
func has(p *radius.Packet, typ radius.Type) bool {
	_, ok := p.Attributes.Lookup(typ)
	return ok
}

// copyProxyState copies the request's Proxy-State attributes into its
// answer.
func copyProxyState(req, answer *radius.Packet) {
	for _, a := range req.Attributes {
		if a.Type == typeProxyState {
			answer.Add(typeProxyState, a.Attribute)
		}
	}
}

// decide runs the rules on the request p of client c from addr: an
// answer and its result, or a nil answer when the server could not
// decide (busy, or the store failed): the client retransmits, or asks
// its other server.
func (s *Server) decide(ctx context.Context, c *Client, addr netip.Addr, p *radius.Packet) (*radius.Packet, string) {
	userID := rfc2865.UserName_GetString(p)
	pw, err := rfc2865.UserPassword_Lookup(p)
	if userID == "" || err != nil || len(pw) == 0 || has(p, typeEAPMessage) || has(p, typeCHAPPassword) {
		// No PAP password (CHAP, EAP, a malformed one), or another
		// method's besides it (RFC 3579, 2.1 and 3.1: a server that does
		// not speak EAP rejects it): only PAP is spoken here.
		return p.Response(radius.CodeAccessReject), resultReject
	}
	o := account.Origin{Client: source(p, addr).String(), Via: "RADIUS client " + c.Name}
	if state, err := rfc2865.State_Lookup(p); err == nil {
		return s.second(ctx, o, c, addr, p, userID, string(state), string(pw))
	}
	a := account.Attempt{UserID: userID, Password: pw}
	if s.cfg.OneStep {
		a.Password, a.Passcode = splitPasscode(pw)
	}
	once := replayKey{client: c.Name, auth: p.Authenticator}
	if a.Passcode != "" && !s.oneStep.first(once, s.cfg.Now()) {
		return nil, resultReplayed
	}
	if !s.userRate.Allow("user:"+strings.ToLower(userID), s.cfg.Now()) {
		return p.Response(radius.CodeAccessReject), resultUserRate
	}
	in, err := s.cfg.Accounts.NetworkLogIn(ctx, o, a)
	switch {
	case undecided(err):
		if a.Passcode != "" {
			s.oneStep.forget(once) // its retransmission is answered afresh
		}
		s.failed(c, userID, err)
		return nil, resultFailure(err)
	case err != nil:
		return p.Response(radius.CodeAccessReject), resultReject
	case !in.NeedPasscode:
		return p.Response(radius.CodeAccessAccept), resultAccept
	}
	state, ok := s.states.add(pending{grant: in.Grant, userID: userID, client: c.Name, addr: addr,
		expires: s.cfg.Now().Add(s.cfg.StateTTL)}, s.cfg.Now())
	if !ok {
		s.cfg.Logger.Warn("radius: too many logins wait for a passcode: one was refused", "client", c.Name)
		return p.Response(radius.CodeAccessReject), resultReject
	}
	q := p.Response(radius.CodeAccessChallenge)
	_ = rfc2865.State_SetString(q, state)
	_ = rfc2865.ReplyMessage_SetString(q, prompt(in))
	return q, resultChallenge
}

// second completes the login that the request's State names with the
// passcode in its User-Password. The State works once, only for the user,
// client and address it was given to, and only for StateTTL.
func (s *Server) second(ctx context.Context, o account.Origin, c *Client, addr netip.Addr, p *radius.Packet, userID, state, code string) (*radius.Packet, string) {
	w, ok := s.states.take(state, s.cfg.Now())
	if !ok || w.client != c.Name || w.addr != addr || !strings.EqualFold(w.userID, userID) {
		return p.Response(radius.CodeAccessReject), resultReject
	}
	_, err := s.cfg.Accounts.NetworkPasscode(ctx, o, w.grant, code)
	switch {
	case undecided(err):
		s.states.restore(state, w)
		s.failed(c, userID, err)
		return nil, resultFailure(err)
	case err != nil:
		return p.Response(radius.CodeAccessReject), resultReject
	}
	return p.Response(radius.CodeAccessAccept), resultAccept
}

// splitPasscode is a one-step password: the password and the passcode
// of its last six characters, when they are digits and something comes
// before them; otherwise the password alone, whose passcode a challenge
// asks for.
func splitPasscode(pw []byte) ([]byte, string) {
	n := len(pw) - oneStepDigits
	if n < 1 {
		return pw, ""
	}
	for _, d := range pw[n:] {
		if d < '0' || d > '9' {
			return pw, ""
		}
	}
	return pw[:n], string(pw[n:])
}

// undecided reports an error after which the rules decided nothing: the
// hashing pool was busy (nothing was counted), the database cannot be
// reached, or the server failed. Such a request is not answered, so that
// the NAS tries again, or asks another RADIUS server (RFC 2865, 2.5: a
// server that cannot reach its database must not answer
// Access-Reject, which the NAS would take as the user's wrong password).
func undecided(err error) bool {
	if err == nil {
		return false
	}
	code, ok := account.CodeOf(err)
	return !ok || code == account.CodeBusy || code == account.CodeUnavailable
}

// resultFailure is the result of an undecided request.
func resultFailure(err error) string {
	switch {
	case errors.Is(err, account.ErrBusy):
		return resultBusy
	case errors.Is(err, account.ErrUnavailable):
		return resultUnavailable
	}
	return resultFailed
}

// failed logs a failure of the server (a busy pool and an outage of the
// database are logged by the rules).
func (s *Server) failed(c *Client, userID string, err error) {
	if !errors.Is(err, account.ErrBusy) && !errors.Is(err, account.ErrUnavailable) {
		s.cfg.Logger.Error("radius: request not decided", "client", c.Name, "userid", userID, "err", err)
	}
}

// source is where a request comes from, for the rules' throttle of wrong
// passwords and the audit: the user's own address when the client names
// it in Calling-Station-Id (a VPN sends the address the user connects
// from), else the client's. Counted by the client's address alone, every
// user behind one VPN would share one source, and anyone at the VPN's
// login page could throttle a colleague's logins there.
func source(p *radius.Packet, client netip.Addr) netip.Addr {
	if a, err := netip.ParseAddr(strings.TrimSpace(rfc2865.CallingStationID_GetString(p))); err == nil && !a.IsUnspecified() {
		return a.Unmap().WithZone("")
	}
	return client
}
