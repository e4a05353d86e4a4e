package console

import (
	"context"
	"crypto/rand"
	"net/http"
	"strconv"

	"github.com/softtoken/softtoken/server/account"
)

// The actions on a user: POST /admin/user/ACTION with the user's ID (id)
// and the action's fields. A destructive one (delete, reset, disable,
// logout, the 30-day override) runs only with confirmed=yes, which the
// confirmation page sends; without it the console asks. Each calls one
// method of the rules with the operator's actor, which decides and
// audits; the answer shows what was done, and any secret issued, once.

// action is one of the forms of a user's page.
type action struct {
	// destructive says the action needs a confirmation (so does the
	// 30-day override of a temporary passcode).
	destructive bool
	run         func(ctx context.Context, c *console, r *http.Request, t account.Target) (result, error)
}

const (
	always = true
	never  = false
)

// actions by the form's name.
var actions = map[string]action{
	"unlock": {never, func(ctx context.Context, c *console, r *http.Request, t account.Target) (result, error) {
		_, err := c.cfg.Accounts.Unlock(ctx, origin(r), t)
		return result{Done: say("done.unlock")}, err
	}},
	"logout": {always, func(ctx context.Context, c *console, r *http.Request, t account.Target) (result, error) {
		return result{Done: say("done.logout")}, c.cfg.Accounts.Logout(ctx, origin(r), t)
	}},
	"temp":    {never, issueTemp},
	"initial": {never, newInitial},
	"phone": {never, func(ctx context.Context, c *console, r *http.Request, t account.Target) (result, error) {
		return result{Done: say("done.phone")}, c.cfg.Accounts.SetPhone(ctx, origin(r), t, clean(r.PostFormValue("phone")))
	}},
	"enable": {never, func(ctx context.Context, c *console, r *http.Request, t account.Target) (result, error) {
		return result{Done: say("done.enable")}, c.cfg.Accounts.SetActive(ctx, origin(r), t, true)
	}},
	"disable": {always, func(ctx context.Context, c *console, r *http.Request, t account.Target) (result, error) {
		return result{Done: say("done.disable")}, c.cfg.Accounts.SetActive(ctx, origin(r), t, false)
	}},
	"reset": {always, reset},
	"delete": {always, func(ctx context.Context, c *console, r *http.Request, t account.Target) (result, error) {
		return result{Done: say("done.delete")}, c.cfg.Accounts.DeleteUser(ctx, origin(r), t)
	}},
}

// confirmFields are the fields a confirmation sends again.
var confirmFields = []string{"days", "override", "reason", "phone"}

// act runs the action of the form on the user it names, after a
// confirmation where the action is destructive.
func (c *console) act(w http.ResponseWriter, r *http.Request, s *session, a account.Actor) {
	name := r.PathValue("action")
	act, ok := actions[name]
	if !ok {
		c.message(w, r, s, http.StatusNotFound, "title.notfound", say("error.notfound"))
		return
	}
	userID := cleanUserID(r.PostFormValue("id"))
	again := func(status int, m msg) {
		p, err := c.userPage(r, a, userID)
		if err != nil { // the user is gone, or hidden: no page to go back to
			c.message(w, r, s, status, "title.refused", m)
			return
		}
		p.Error = m
		c.render(w, r, s, status, "user", p)
	}
	if r.PostFormValue("override") != "" && clean(r.PostFormValue("reason")) == "" {
		// Asked before the confirmation; the rules refuse it anyway.
		again(http.StatusBadRequest, say("error.reason"))
		return
	}
	if (act.destructive || r.PostFormValue("override") != "") && r.PostFormValue("confirmed") != "yes" {
		cf := &confirmation{Action: name, UserID: userID}
		for _, f := range confirmFields {
			if v := r.PostFormValue(f); v != "" {
				cf.Fields = append(cf.Fields, field{f, v})
			}
		}
		c.render(w, r, s, http.StatusOK, "confirm", page{Title: "title.confirm", Confirm: cf})
		return
	}
	res, err := act.run(r.Context(), c, r, a.For(userID))
	if err != nil {
		c.failed(w, r, s, "console "+name, err, again)
		return
	}
	res.UserID = userID
	c.render(w, r, s, http.StatusOK, "result", page{Title: "title.done", Result: &res})
}

// issueTemp issues a temporary passcode of the days chosen; with the
// override, despite the 30-day rule, for the reason typed.
func issueTemp(ctx context.Context, c *console, r *http.Request, t account.Target) (result, error) {
	d, err := strconv.Atoi(r.PostFormValue("days"))
	if err != nil {
		d = 0 // the rules refuse it (bad_days)
	}
	var tp account.TempPasscode
	if r.PostFormValue("override") != "" {
		tp, err = c.cfg.Accounts.IssueTempPasscodeOverride(ctx, origin(r), t, d, c.cfg.MaxTempDays, clean(r.PostFormValue("reason")))
	} else {
		tp, err = c.cfg.Accounts.IssueTempPasscode(ctx, origin(r), t, d, c.cfg.MaxTempDays)
	}
	return result{Done: say("done.temp"), TempPasscode: tp.Code, Expires: tp.Expires}, err
}

// newInitial gives a user who has not enrolled a new initial passcode,
// mailed to them when mail is set up.
func newInitial(ctx context.Context, c *console, r *http.Request, t account.Target) (result, error) {
	cr, err := c.cfg.Accounts.NewInitialPasscode(ctx, origin(r), t)
	return result{Done: say("done.initial"), InitialPasscode: cr.InitialPasscode, Mail: cr.Mail}, err
}

// reset is the forgotten-password procedure with a new random password,
// to change at the first login, and a new initial passcode: both shown
// once.
func reset(ctx context.Context, c *console, r *http.Request, t account.Target) (result, error) {
	pw := rand.Text()[:16]
	cr, err := c.cfg.Accounts.Reset(ctx, origin(r), t, []byte(pw))
	if err != nil {
		return result{}, err
	}
	return result{Done: say("done.reset"), Password: pw, InitialPasscode: cr.InitialPasscode, Mail: cr.Mail}, nil
}
