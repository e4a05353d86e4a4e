package adminapi

import (
	"net/http"

	"github.com/softtoken/softtoken/server/account"
)

// done is the answer of an action that has nothing else to tell.
type done struct {
	UserID string `json:"userid"`
	Done   string `json:"done"`
}

// act runs the action fn on the user of the path as by, after checking
// that the body is empty or the empty object, and answers done.
func (a *api) act(r *http.Request, fn func(t account.Target) error, by account.Actor) (int, any, error) {
	if err := readBody(r, &struct{}{}, false); err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	if err := fn(by.For(id)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, done{UserID: id, Done: actionName(r)}, nil
}

// actionName is the last part of r's path ("unlock"), or "delete".
func actionName(r *http.Request) string {
	if r.Method == http.MethodDelete {
		return "delete"
	}
	p := r.URL.Path
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// unlock is POST /users/{id}/unlock.
func (a *api) unlock(r *http.Request, by account.Actor) (int, any, error) {
	var was account.Unlocked
	status, _, err := a.act(r, func(t account.Target) (err error) {
		was, err = a.cfg.Accounts.Unlock(r.Context(), origin(r), t)
		return err
	}, by)
	if err != nil {
		return 0, nil, err
	}
	return status, map[string]any{"userid": r.PathValue("id"), "done": "unlock", "was_locked": !was.LockedUntil.IsZero(),
		"failures_cleared": was.Failures}, nil
}

// logout is POST /users/{id}/logout.
func (a *api) logout(r *http.Request, by account.Actor) (int, any, error) {
	return a.act(r, func(t account.Target) error { return a.cfg.Accounts.Logout(r.Context(), origin(r), t) }, by)
}

// disable is POST /users/{id}/disable.
func (a *api) disable(r *http.Request, by account.Actor) (int, any, error) {
	return a.act(r, func(t account.Target) error { return a.cfg.Accounts.SetActive(r.Context(), origin(r), t, false) }, by)
}

// enable is POST /users/{id}/enable.
func (a *api) enable(r *http.Request, by account.Actor) (int, any, error) {
	return a.act(r, func(t account.Target) error { return a.cfg.Accounts.SetActive(r.Context(), origin(r), t, true) }, by)
}

// tempRequest is the body of POST /users/{id}/temp-passcode.
type tempRequest struct {
	Days int `json:"days"`
	// Override issues the passcode despite the 30-day rule; Reason is
	// then required, and goes into the audit (no secret in it).
	Override bool   `json:"override_30_days"`
	Reason   string `json:"reason"`
}

// tempPasscode is POST /users/{id}/temp-passcode.
func (a *api) tempPasscode(r *http.Request, by account.Actor) (int, any, error) {
	var req tempRequest
	if err := readBody(r, &req, true); err != nil {
		return 0, nil, err
	}
	if req.Reason != "" && !req.Override {
		return 0, nil, badRequest("a reason goes with override_30_days")
	}
	id, maxDays := r.PathValue("id"), a.cfg.MaxTempDays
	var tp account.TempPasscode
	var err error
	if req.Override {
		tp, err = a.cfg.Accounts.IssueTempPasscodeOverride(r.Context(), origin(r), by.For(id), req.Days, maxDays, req.Reason)
	} else {
		tp, err = a.cfg.Accounts.IssueTempPasscode(r.Context(), origin(r), by.For(id), req.Days, maxDays)
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"userid": id, "temporary_passcode": tp.Code, "expires": stamp(tp.Expires),
		"notice": tp.Notice}, nil
}

// initialPasscode is POST /users/{id}/initial-passcode: a new initial
// passcode and the welcome mail.
func (a *api) initialPasscode(r *http.Request, by account.Actor) (int, any, error) {
	var c account.Created
	status, _, err := a.act(r, func(t account.Target) (err error) {
		c, err = a.cfg.Accounts.NewInitialPasscode(r.Context(), origin(r), t)
		return err
	}, by)
	if err != nil {
		return 0, nil, err
	}
	return status, map[string]any{"userid": c.User.UserID, "initial_passcode": c.InitialPasscode, "mail": c.Mail}, nil
}

// phoneRequest is the body of POST /users/{id}/phone.
type phoneRequest struct {
	Phone string `json:"phone"`
}

// phone is POST /users/{id}/phone.
func (a *api) phone(r *http.Request, by account.Actor) (int, any, error) {
	var req phoneRequest
	if err := readBody(r, &req, true); err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	if err := a.cfg.Accounts.SetPhone(r.Context(), origin(r), by.For(id), req.Phone); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, done{UserID: id, Done: "phone"}, nil
}

// reset is POST /users/{id}/reset (an admin's): a new random password,
// to change at the next login, and a new initial passcode, both answered
// once.
func (a *api) reset(r *http.Request, by account.Actor) (int, any, error) {
	pw := newPassword()
	var c account.Created
	status, _, err := a.act(r, func(t account.Target) (err error) {
		c, err = a.cfg.Accounts.Reset(r.Context(), origin(r), t, []byte(pw))
		return err
	}, by)
	if err != nil {
		return 0, nil, err
	}
	return status, created{User: viewJSON(c.User), Password: pw, InitialPasscode: c.InitialPasscode}, nil
}
