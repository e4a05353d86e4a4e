package console

import (
	"net/http"
	"strings"

	"github.com/softtoken/softtoken/server/account"
)

// users lists the users the operator may see, with the filters of the
// form: locked, unenrolled, disabled, a firm, a search of user IDs and
// e-mail addresses.
func (c *console) users(w http.ResponseWriter, r *http.Request, s *session, a account.Actor) {
	q := r.URL.Query()
	f := filter{Locked: q.Get("locked") != "", Unenrolled: q.Get("unenrolled") != "", Disabled: q.Get("disabled") != "",
		Firm: clean(q.Get("firm")), Query: clean(q.Get("q"))}
	list, err := c.cfg.Accounts.Users(r.Context(), a, account.UserFilter{Locked: f.Locked, Unenrolled: f.Unenrolled,
		Disabled: f.Disabled, Firm: f.Firm, Query: f.Query})
	if err != nil {
		c.failed(w, r, s, "list the users", err, nil)
		return
	}
	c.render(w, r, s, http.StatusOK, "users", page{Title: "title.users", Filter: f, Users: list})
}

// userLimit is how many of a user's newest audit records their page
// shows.
const userLimit = 20

// user shows one user: their state, their session, their recent audit,
// and the actions the operator's role offers on them.
func (c *console) user(w http.ResponseWriter, r *http.Request, s *session, a account.Actor) {
	p, err := c.userPage(r, a, clean(r.URL.Query().Get("id")))
	if err != nil {
		c.failed(w, r, s, "show a user", err, nil)
		return
	}
	c.render(w, r, s, http.StatusOK, "user", p)
}

// userPage reads what the page of userID shows.
func (c *console) userPage(r *http.Request, a account.Actor, userID string) (page, error) {
	u, err := c.cfg.Accounts.User(r.Context(), a, userID)
	if err != nil {
		return page{}, err
	}
	all, err := c.cfg.Accounts.Sessions(r.Context(), a)
	if err != nil {
		return page{}, err
	}
	var theirs []account.Session
	for _, ss := range all {
		if strings.EqualFold(ss.UserID, u.UserID) {
			theirs = append(theirs, ss)
		}
	}
	events, err := c.cfg.Accounts.AuditEvents(r.Context(), a, account.AuditFilter{UserID: u.UserID, Limit: userLimit})
	if err != nil {
		return page{}, err
	}
	return page{Title: "title.user", User: u, Sessions: theirs, Audit: newestFirst(events), Can: offers(a, u),
		Days: days(c.cfg.MaxTempDays)}, nil
}

// offers are the actions a's role may take on u, by the audit's name of
// the change: none on the operator's own account. The rules decide
// anyway; this only spares an operator buttons that would be refused.
func offers(a account.Actor, u account.UserDetail) map[string]bool {
	can := map[string]bool{}
	if strings.EqualFold(a.Name(), u.UserID) {
		return can
	}
	for _, change := range []string{"user unlock", "user logout", "temporary passcode", "initial passcode", "phone",
		"user enable", "user disable", "user reset", "user delete"} {
		can[change] = a.Role().May(change)
	}
	return can
}

// days are the validities a temporary passcode may have, 1 to max.
func days(max int) []int {
	out := make([]int, max)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// newestFirst reverses the audit's order (oldest first) for a page.
func newestFirst(events []account.AuditEvent) []account.AuditEvent {
	out := make([]account.AuditEvent, len(events))
	for i, e := range events {
		out[len(events)-1-i] = e
	}
	return out
}

// clean trims a typed field; "" for one no user ID or filter can be.
func clean(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 || strings.ContainsAny(s, "\x00\r\n") {
		return ""
	}
	return s
}

// cleanUserID trims a typed user ID; "" for one that cannot be one.
func cleanUserID(s string) string {
	if s = clean(s); len(s) > 128 {
		return ""
	}
	return s
}
