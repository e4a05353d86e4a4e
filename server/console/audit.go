package console

import (
	"net/http"
	"slices"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// auditLimit is how many of the newest records the audit page shows at
// most (the command line's `audit` reads the whole).
const auditLimit = 500

// audit shows the newest audit records the operator may read, filtered
// by user, since a day (YYYY-MM-DD) and outcome code, newest first.
func (c *console) audit(w http.ResponseWriter, r *http.Request, s *session, a account.Actor) {
	q := r.URL.Query()
	f := filter{User: cleanUserID(q.Get("user")), Since: clean(q.Get("since")), Outcome: clean(q.Get("outcome"))}
	af := account.AuditFilter{UserID: f.User, Limit: auditLimit}
	codes := append([]account.Code{account.CodeOK}, account.Codes()...)
	if slices.Contains(codes, account.Code(f.Outcome)) {
		af.Outcome = account.Code(f.Outcome)
	} else {
		f.Outcome = ""
	}
	var bad msg
	if f.Since != "" {
		since, err := time.Parse(time.DateOnly, f.Since)
		if err != nil {
			bad, f.Since = say("error.since"), ""
		}
		af.Since = since
	}
	events, err := c.cfg.Accounts.AuditEvents(r.Context(), a, af)
	if err != nil {
		c.failed(w, r, s, "read the audit", err, nil)
		return
	}
	status := http.StatusOK
	if bad.Key != "" {
		status = http.StatusBadRequest
	}
	c.render(w, r, s, status, "audit", page{Title: "title.audit", Filter: f, Audit: newestFirst(events), Codes: codes, Error: bad})
}

// sessionList shows the sessions that hold users now, as the operator
// may see them.
func (c *console) sessionList(w http.ResponseWriter, r *http.Request, s *session, a account.Actor) {
	list, err := c.cfg.Accounts.Sessions(r.Context(), a)
	if err != nil {
		c.failed(w, r, s, "list the sessions", err, nil)
		return
	}
	c.render(w, r, s, http.StatusOK, "sessions", page{Title: "title.sessions", Sessions: list})
}
