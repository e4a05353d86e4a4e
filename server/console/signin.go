package console

import (
	"net/http"

	"github.com/softtoken/softtoken/server/account"
)

// The sign-in: the user ID and password (account.CheckPassword), then a
// passcode of the operator's own token or SMS (CheckPasscode, after
// SendLoginCode for an SMS user), which the rules turn into the
// operator's actor (OperatorSignIn) only for a user with a console role.
// Each step gives the session a new ID and CSRF token, so that an ID
// planted before is worth nothing after it.

// home shows the sign-in, or the users list to an operator signed in.
func (c *console) home(w http.ResponseWriter, r *http.Request, s *session) {
	if s.actor != nil {
		http.Redirect(w, r, Prefix+"users", http.StatusSeeOther)
		return
	}
	c.render(w, r, s, http.StatusOK, "signin", page{Title: "title.signin"})
}

// password checks the user ID and password and asks for the passcode.
func (c *console) password(w http.ResponseWriter, r *http.Request, s *session) {
	userID := cleanUserID(r.PostFormValue("userid"))
	g, view, err := c.cfg.Accounts.CheckPassword(r.Context(), origin(r), userID, []byte(r.PostFormValue("password")))
	if err != nil {
		c.failed(w, r, s, "check a console password", err, func(status int, m msg) {
			c.render(w, r, s, status, "signin", page{Title: "title.signin", UserID: userID, Error: m})
		})
		return
	}
	ns := c.renew(w, r, s)
	if ns == nil {
		return
	}
	ns.pending = &g
	// Only an operator is sent an SMS: the rules would refuse the
	// others' passcode anyway, and nobody else's phone rings.
	if view.SMS && view.ConsoleRole != "" {
		sentTo, err := c.cfg.Accounts.SendLoginCode(r.Context(), origin(r), g)
		if err != nil {
			c.failed(w, r, ns, "send a console passcode", err, func(status int, m msg) {
				c.render(w, r, ns, status, "passcode", page{Title: "title.passcode", UserID: g.UserID, Error: m})
			})
			return
		}
		ns.sentTo = sentTo
	}
	c.render(w, r, ns, http.StatusOK, "passcode", page{Title: "title.passcode", UserID: g.UserID, SentTo: ns.sentTo})
}

// passcode checks the passcode and signs the operator in.
func (c *console) passcode(w http.ResponseWriter, r *http.Request, s *session) {
	if s.pending == nil {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	again := func(status int, m msg) {
		c.render(w, r, s, status, "passcode", page{Title: "title.passcode", UserID: s.pending.UserID, SentTo: s.sentTo, Error: m})
	}
	g, err := c.cfg.Accounts.CheckPasscode(r.Context(), origin(r), *s.pending, r.PostFormValue("passcode"))
	if err == nil {
		var a account.Actor
		if a, err = c.cfg.Accounts.OperatorSignIn(r.Context(), origin(r), g); err == nil {
			ns := c.renew(w, r, s)
			if ns != nil {
				ns.actor = &a
				http.Redirect(w, r, Prefix+"users", http.StatusSeeOther)
			}
			return
		}
		if code, _ := account.CodeOf(err); code == account.CodeNotAllowed {
			// The passcode was right but is not an operator's own, or
			// the user is no operator: start again.
			c.sessions.end(s)
			clearCookie(w, s.https)
			c.render(w, r, nil, http.StatusForbidden, "message", page{Title: "title.refused", Error: say("signin.refused"), SignIn: true})
			return
		}
	}
	c.failed(w, r, s, "check a console passcode", err, again)
}

// signOut ends the session.
func (c *console) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	c.sessions.end(s)
	clearCookie(w, s.https)
	c.render(w, r, nil, http.StatusOK, "message", page{Title: "title.signedout", Notice: say("signout.done"), SignIn: true})
}

// renew replaces s by a new session with a new ID and CSRF token (s's
// own state is not carried over: the caller sets what the new one holds).
func (c *console) renew(w http.ResponseWriter, r *http.Request, s *session) *session {
	c.sessions.end(s)
	ns := c.sessions.start(c.cfg.Now(), s.https)
	if ns == nil {
		c.message(w, r, nil, http.StatusServiceUnavailable, "title.busy", say("error.full"))
		return nil
	}
	setCookie(w, ns)
	return ns
}
