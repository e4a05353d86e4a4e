package ws

import (
	"context"
	"errors"
	"strings"

	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
)

// addUser serves the three uses of "adduser" in the seed:
//
//   - an administrator creates a user, or updates one (profile and use2fa;
//     use2fa "Y" always makes a new seed, returned once in "2faseed");
//   - updateprof with pass and newpass: a password change, by the user or
//     by an administrator naming the user in userid;
//   - updateprof with resetpass and newpass alone: an administrator resets
//     a password; the user must change it at the next login.
func (c *conn) addUser(ctx context.Context, req wire.Request) wire.Response {
	resp := wire.Response{Type: wire.TypeAddUser, UserID: req.UserID, Firm: req.Firm, Roles: req.Roles,
		Attr: req.Attr, UpdateProf: req.UpdateProf, ResetPass: req.ResetPass}
	if c.stage != stageLoggedIn {
		resp.Result = wire.ResultNotAllowed
		return resp
	}
	var err error
	switch {
	case req.UpdateProf && req.ResetPass:
		err = c.resetPass(ctx, req)
	case req.UpdateProf:
		resp.UserID, err = c.changePass(ctx, req)
	default:
		resp.TwoFASeed, err = c.upsertUser(ctx, req)
	}
	resp.Result = wire.ResultOK
	if err != nil {
		resp.Result, resp.Message = c.addUserResult(err)
	}
	event := map[bool]string{true: "resetpass", false: "adduser"}[req.ResetPass]
	if req.UpdateProf && !req.ResetPass {
		event = "changepass"
	}
	c.audit(ctx, resp.UserID, event, resp.Result)
	return resp
}

// Failures of adduser a client can act on.
var (
	errNotAdmin      = errors.New(wire.ResultNotAllowed)
	errMissingField  = errors.New(wire.ResultMissingField)
	errUndecryptable = errors.New(wire.ResultMalformed)
)

func (c *conn) addUserResult(err error) (result, message string) {
	switch {
	case errors.Is(err, errNotAdmin):
		return wire.ResultNotAllowed, "only an administrator may do this"
	case errors.Is(err, errMissingField):
		return wire.ResultMissingField, strings.TrimPrefix(err.Error(), errMissingField.Error()+": ")
	case errors.Is(err, errUndecryptable):
		return wire.ResultMalformed, "a password field does not decrypt with this connection's challenge key"
	case errors.Is(err, auth.ErrWeakPassword):
		return wire.ResultWeakPassword, auth.ErrWeakPassword.Error()
	case errors.Is(err, store.ErrNotFound):
		return wire.ResultInvalidLogin, ""
	}
	return c.result(err), ""
}

func (c *conn) newPassword(field, enc string) (string, error) {
	if field == "" {
		return "", errors.Join(errMissingField, errors.New("newpass is required"))
	}
	if c.key == nil {
		return "", errNoChallenge
	}
	pw, ok := c.decrypt(field, enc)
	if !ok {
		return "", errUndecryptable
	}
	return c.h.auth.HashPassword(pw)
}

func (c *conn) resetPass(ctx context.Context, req wire.Request) error {
	if !c.user.IsAdmin {
		return errNotAdmin
	}
	if req.UserID == "" {
		return errors.Join(errMissingField, errors.New("userid is required"))
	}
	target, err := c.h.st.UserByUserID(ctx, req.UserID)
	if err != nil {
		return err
	}
	hash, err := c.newPassword(req.NewPass, req.Enc)
	if err != nil {
		return err
	}
	if err := c.updateProfile(ctx, target, req); err != nil {
		return err
	}
	return c.h.st.SetPassword(ctx, target.ID, hash, true)
}

func (c *conn) changePass(ctx context.Context, req wire.Request) (string, error) {
	target := c.user
	if req.UserID != "" && !strings.EqualFold(req.UserID, c.user.UserID) {
		if !c.user.IsAdmin {
			return req.UserID, errNotAdmin
		}
		var err error
		if target, err = c.h.st.UserByUserID(ctx, req.UserID); err != nil {
			return req.UserID, err
		}
	}
	if req.Pass == "" {
		return target.UserID, errors.Join(errMissingField, errors.New("pass (the current password) is required"))
	}
	if _, err := c.checkPassword(ctx, target.UserID, req.Pass, req.Enc); err != nil {
		return target.UserID, err
	}
	hash, err := c.newPassword(req.NewPass, req.Enc)
	if err != nil {
		return target.UserID, err
	}
	if c.user.IsAdmin {
		if err := c.updateProfile(ctx, target, req); err != nil {
			return target.UserID, err
		}
	}
	return target.UserID, c.h.st.SetPassword(ctx, target.ID, hash, false)
}

// updateProfile writes the profile fields a request gives; absent ones
// keep their value.
func (c *conn) updateProfile(ctx context.Context, u store.User, req wire.Request) error {
	if req.Firm != "" {
		u.Firm = req.Firm
	}
	if req.Roles != "" {
		u.Roles = req.Roles
	}
	if len(req.Attr) > 0 && string(req.Attr) != "null" {
		u.Attr = req.Attr
	}
	switch strings.ToUpper(req.Use2FA) {
	case "Y":
		u.Use2FA = true
	case "N":
		u.Use2FA = false
	}
	return c.h.st.UpdateUser(ctx, u)
}

// upsertUser creates a user with the password in pass, or updates an
// existing one's profile; with use2fa "Y" it returns a new seed in base32.
func (c *conn) upsertUser(ctx context.Context, req wire.Request) (seed string, err error) {
	if !c.user.IsAdmin {
		return "", errNotAdmin
	}
	if req.UserID == "" {
		return "", errors.Join(errMissingField, errors.New("userid is required"))
	}
	u, err := c.h.st.UserByUserID(ctx, req.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if req.Pass == "" {
			return "", errors.Join(errMissingField, errors.New("pass (the new user's password) is required"))
		}
		hash, err := c.newPassword(req.Pass, req.Enc)
		if err != nil {
			return "", err
		}
		u, err = c.h.st.CreateUser(ctx, store.User{UserID: req.UserID, Firm: req.Firm, Roles: req.Roles, Attr: req.Attr,
			Active: true, Use2FA: !strings.EqualFold(req.Use2FA, "N"), PassHash: hash, MustChangePassword: true})
		if err != nil {
			return "", err
		}
	case err != nil:
		return "", err
	default:
		if err := c.updateProfile(ctx, u, req); err != nil {
			return "", err
		}
	}
	switch strings.ToUpper(req.Use2FA) {
	case "Y":
		tok, err := c.h.auth.NewSeed(ctx, u)
		if err != nil {
			return "", err
		}
		return tok.Secret.Base32(), nil
	case "N":
		if err := c.h.st.DeleteToken(ctx, u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
	}
	return "", nil
}
