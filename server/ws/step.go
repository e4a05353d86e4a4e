package ws

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/wire"
)

// A connection is a state machine: each message is one step from a state
// to the next, with a reply (peer.step). A socket starts new; a right
// password leads to pending while a passcode is owed, or to logged in; an
// enrolment holds its offered token in the state until confirm. The step
// calls the rules and reads the clock, and touches no socket: conn does
// what the reply says (write, wait longer, close), and tests take steps
// with no socket at all.

// state is a connection's protocol state: all that a step reads and
// changes.
type state struct {
	stage stage
	key   *challenge.Key // handed out by challenge
	// grant is what the login proved, once the password is right; user is
	// what the login told of the user: what replies say, and a first,
	// cheap refusal of a non-administrator's admin messages. The rules
	// decide every request on the current account.
	grant     account.Grant
	user      profile
	attempted bool // the one login or enrolment of this socket
	codeTries int
	loggedOut bool
	en        *account.Enrolment // an enrolment waiting for answers or confirm
}

// profile is what a reply tells of the logged-in user.
type profile struct {
	admin, mustChange bool
}

// stage is where a connection is in its login.
type stage int

const (
	stageNew      stage = iota
	stagePending        // password right, 2FA token still owed
	stageLoggedIn       // fully logged in
)

// reply is a step's answer: the response, and what the socket does
// besides writing it.
type reply struct {
	wire.Response
	// close: the socket closes after the reply (a failed login, a
	// logout, a rate limit).
	close bool
	// wait, when set, is the socket's next read deadline from now: a user
	// who types an SMS passcode or security answers needs longer than a
	// login.
	wait time.Duration
	// proved names the user whose password (or One Swipe code) the
	// message proved: the socket is evicted after strangers', and counts
	// among that user's.
	proved string
}

// answer is a reply of resp alone.
func answer(resp wire.Response) reply { return reply{Response: resp} }

// closing is a reply of resp after which the socket closes.
func closing(resp wire.Response) reply { return reply{Response: resp, close: true} }

// peer is what a connection's steps use besides its state: the handler's
// rules, keys and limits, and who the connection is.
type peer struct {
	h *Handler
	// holder names the connection as the holder of its user's session
	// lease; addr is the client's address.
	holder string
	addr   string
}

// origin is where the connection's requests come from, for the rules.
func (p peer) origin() account.Origin { return account.Origin{Client: p.addr, Via: "websocket"} }

// step answers the message data in state st and returns the next state.
func (p peer) step(ctx context.Context, st state, data []byte) (state, reply) {
	req, err := wire.Decode(data)
	switch {
	case errors.Is(err, wire.ErrUnknownType):
		return st, answer(wire.Response{Type: req.Type, Result: wire.ResultUnknownType})
	case errors.Is(err, wire.ErrTooBig):
		return st, closing(wire.Response{Type: wire.TypeError, Result: wire.ResultTooBig})
	case err != nil:
		return st, answer(wire.Response{Type: wire.TypeError, Result: wire.ResultMalformed, Message: err.Error()})
	}
	if _, err := challenge.ParseScheme(req.Enc); err != nil {
		// The client's own choice: it tells nothing of any ciphertext.
		return st, answer(wire.Response{Type: req.Type, Result: wire.ResultMalformed,
			Message: `unknown enc: "oaep-sha256", or none for PKCS#1 v1.5`})
	}
	if st.stage == stagePending && req.Type != wire.TypeSend2FAToken && req.Type != wire.TypeLogout {
		return st, answer(wire.Response{Type: req.Type, Result: wire.ResultNeed2FA})
	}
	if st.stage == stageLoggedIn && st.grant.MustChangePassword() && !st.changesOwnPassword(req) && req.Type != wire.TypeLogout {
		return st, answer(wire.Response{Type: req.Type, Result: wire.ResultChangePassword,
			Message: "the password was set for you: change it first (adduser with updateprof, pass and newpass)"})
	}
	r := p.dispatch(ctx, &st, req)
	return st, r
}

// dispatch serves req by its type, changing st.
func (p peer) dispatch(ctx context.Context, st *state, req wire.Request) reply {
	switch req.Type {
	case wire.TypeChallenge:
		return p.challenge(st)
	case wire.TypeLogin:
		return p.login(ctx, st, req)
	case wire.TypeSend2FAToken:
		return p.send2FAToken(ctx, st, req)
	case wire.TypeVerifyLogin:
		return answer(p.verifyLogin(ctx, st, req))
	case wire.TypeAddUser:
		return answer(p.addUser(ctx, st, req))
	case wire.TypeVerifyLogout:
		return answer(p.verifyLogout(ctx, st, req))
	case wire.TypeEnrol:
		return p.enrol(ctx, st, req)
	case wire.TypeAnswers:
		return p.answers(ctx, st, req)
	case wire.TypeConfirm:
		return p.confirm(ctx, st, req)
	case wire.TypeLogout:
		return closing(p.logout(ctx, st))
	}
	return answer(wire.Response{Type: req.Type, Result: wire.ResultUnknownType})
}

// changesOwnPassword reports a request that changes the sender's own
// password and nothing else: all a user who must change theirs may send.
func (st *state) changesOwnPassword(req wire.Request) bool {
	own := req.UserID == "" || strings.EqualFold(req.UserID, st.grant.UserID)
	profile := req.Firm != "" || req.Roles != "" || (len(req.Attr) > 0 && string(req.Attr) != "null") || req.Use2FA != ""
	return req.Type == wire.TypeAddUser && req.UpdateProf && !req.ResetPass && own && !profile
}

func (p peer) logout(ctx context.Context, st *state) wire.Response {
	st.loggedOut = true
	if st.stage == stageLoggedIn {
		// Free the session before replying, so that a client that logs
		// in again right after the reply is not refused.
		if err := p.h.acct.LogOut(ctx, p.origin(), st.grant, p.holder); err != nil {
			p.h.cfg.Logger.Error("end session", "userid", st.grant.UserID, "err", err)
		}
	}
	return wire.Response{Type: wire.TypeLogout, Result: wire.ResultOK}
}

func (p peer) challenge(st *state) reply {
	if !p.h.chals.Allow(p.addr, time.Now()) {
		return closing(wire.Response{Type: wire.TypeChallenge, Result: wire.ResultRateLimited})
	}
	st.key = p.h.keys.Current()
	return answer(wire.Response{Type: wire.TypeChallenge, Result: wire.ResultOK, Key: st.key.Public})
}

// secret opens an encrypted field (pass, newpass, passcode, oneswipe, an
// answer) with the connection's challenge key and the scheme the message
// names, which step has checked. A field that does not decrypt opens to
// a synthetic value (challenge.Key.Decrypt), which the rules refuse as
// they refuse a wrong one, counted the same, in the same time: the
// answers are no padding oracle. Every message that carries such a field
// is served only after a challenge, so the key is there.
func (st *state) secret(field, enc string) []byte {
	pt, _ := st.key.Decrypt(field, challenge.Scheme(enc)) // nil, a wrong value, for a scheme step refused
	return pt
}
