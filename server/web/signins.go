package web

import "github.com/softtoken/softtoken/server/account"

// signInStep counts, in the metrics, the outcome of a sign-in step of
// the site (step "password" or "passcode"): the rules' code of err, "ok"
// for none, "failed" for an error of the server. The site is named as in
// the sessions' metric: "enrol" or "helpdesk".
func (h *site[V]) signInStep(step string, err error) {
	h.signInOutcome(step, outcomeOf(err))
}

// signInOutcome counts a sign-in step's outcome code in the metrics.
func (h *site[V]) signInOutcome(step string, c account.Code) {
	name := "enrol"
	if h.prefix == HelpdeskPrefix {
		name = "helpdesk"
	}
	h.cfg.Metrics.WebSignIn(name, step, string(c))
}

// outcomeOf is the outcome code of err (nil: ok; not the rules': failed).
func outcomeOf(err error) account.Code {
	if err == nil {
		return account.CodeOK
	}
	if c, ok := account.CodeOf(err); ok {
		return c
	}
	return account.CodeFailed
}
