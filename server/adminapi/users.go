package adminapi

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// userJSON is a user as the API shows them: the profile and the state of
// their second factor and lockout, never a hash or a seed (account's
// views hold neither).
type userJSON struct {
	UserID             string          `json:"userid"`
	Firm               string          `json:"firm"`
	Roles              string          `json:"roles"`
	Attr               json.RawMessage `json:"attr,omitempty"`
	Email              string          `json:"email"`
	Phone              string          `json:"phone"`
	Lang               string          `json:"lang"`
	Active             bool            `json:"active"`
	Admin              bool            `json:"admin"`
	Service            bool            `json:"service"`
	Scope              string          `json:"scope,omitempty"`
	Networks           string          `json:"networks,omitempty"`
	Use2FA             bool            `json:"use_2fa"`
	SMS                bool            `json:"sms"`
	MustChangePassword bool            `json:"must_change_password"`
	ConsoleRole        string          `json:"console_role"`
	Created            string          `json:"created"`
	Locked             bool            `json:"locked"`
	LockedUntil        string          `json:"locked_until,omitempty"`
	Failures           int             `json:"failures"`
	TokenSerial        string          `json:"token_serial,omitempty"`
}

// stamp is t in RFC 3339, UTC; "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// viewJSON is the JSON of v.
func viewJSON(v account.UserView) userJSON {
	return userJSON{UserID: v.UserID, Firm: v.Firm, Roles: v.Roles, Attr: v.Attr, Email: v.Email, Phone: v.Phone, Lang: v.Lang,
		Active: v.Active, Admin: v.IsAdmin, Service: v.Service, Scope: v.Scope, Networks: v.Networks, Use2FA: v.Use2FA, SMS: v.SMS,
		MustChangePassword: v.MustChangePassword, ConsoleRole: string(v.ConsoleRole), Created: stamp(v.Created)}
}

// detailJSON is the JSON of d.
func detailJSON(d account.UserDetail) userJSON {
	u := viewJSON(d.UserView)
	u.Locked, u.Failures, u.TokenSerial = d.Locked, d.Failures, d.TokenSerial
	if d.Locked {
		u.LockedUntil = stamp(d.LockedUntil)
	}
	return u
}

// listUsers is GET /users.
func (a *api) listUsers(r *http.Request, by account.Actor) (int, any, error) {
	f, err := userFilter(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	users, err := a.cfg.Accounts.Users(r.Context(), by, f)
	if err != nil {
		return 0, nil, err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = detailJSON(u)
	}
	return http.StatusOK, map[string]any{"users": out}, nil
}

// getUser is GET /users/{id}.
func (a *api) getUser(r *http.Request, by account.Actor) (int, any, error) {
	if err := params(r.URL.Query()); err != nil {
		return 0, nil, err
	}
	u, err := a.cfg.Accounts.User(r.Context(), by, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"user": detailJSON(u)}, nil
}

// newUser is the body of POST /users.
type newUser struct {
	UserID string `json:"userid"`
	// Password is the user's first password, to change at their first
	// login; absent, the API makes one and answers it once.
	Password        *string         `json:"password"`
	Firm            string          `json:"firm"`
	Roles           string          `json:"roles"`
	Attr            json.RawMessage `json:"attr"`
	Email           string          `json:"email"`
	Phone           string          `json:"phone"`
	SMS             bool            `json:"sms"`
	Use2FA          bool            `json:"use_2fa"`
	Lang            string          `json:"lang"`
	InitialPasscode bool            `json:"initial_passcode"`
	ConsoleRole     string          `json:"console_role"`
}

// rules is n as the rules take it, with the password pw.
func (n newUser) rules(pw []byte) account.NewUser {
	return account.NewUser{UserID: n.UserID, Password: pw, Firm: n.Firm, Roles: n.Roles, Attr: n.Attr, Email: n.Email,
		Phone: n.Phone, SMS: n.SMS, Use2FA: n.Use2FA, Lang: n.Lang, InitialPasscode: n.InitialPasscode,
		ConsoleRole: account.Role(n.ConsoleRole)}
}

// created is the answer of POST /users and /reset: the user, and the
// secrets made for them, shown this once.
type created struct {
	User            userJSON `json:"user"`
	Password        string   `json:"password,omitempty"`
	InitialPasscode string   `json:"initial_passcode,omitempty"`
}

// addUser is POST /users (an admin's).
func (a *api) addUser(r *http.Request, by account.Actor) (int, any, error) {
	var n newUser
	if err := readBody(r, &n, true); err != nil {
		return 0, nil, err
	}
	var out created
	pw := newPassword()
	if n.Password != nil {
		pw = *n.Password
	} else {
		out.Password = pw
	}
	c, err := a.cfg.Accounts.AddUser(r.Context(), origin(r), by, n.rules([]byte(pw)))
	if err != nil {
		return 0, nil, err
	}
	out.User, out.InitialPasscode = viewJSON(c.User), c.InitialPasscode
	return http.StatusCreated, out, nil
}

// deleteUser is DELETE /users/{id} (an admin's).
func (a *api) deleteUser(r *http.Request, by account.Actor) (int, any, error) {
	return a.act(r, func(t account.Target) error { return a.cfg.Accounts.DeleteUser(r.Context(), origin(r), t) }, by)
}

// newPassword is a random password (crypto/rand.Text: 26 characters of
// base32, 128 bits), which the user changes at their first login.
func newPassword() string { return rand.Text() }
