package ws

import (
	"context"
	"errors"
	"strings"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
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
		resp.Result = c.result(err)
		resp.Message = map[string]string{
			wire.ResultNotAllowed:   "only an administrator may do this",
			wire.ResultWeakPassword: err.Error(),
			wire.ResultMissingField: strings.TrimPrefix(err.Error(), errMissingField.Error()+": "),
		}[resp.Result]
	}
	return resp
}

// required is a missing-field error naming the field.
func required(what string) error {
	return errors.Join(errMissingField, errors.New(what+" is required"))
}

// newPassword opens the newpass field of req, which is required.
func (c *conn) newPassword(req wire.Request) ([]byte, error) {
	if req.NewPass == "" {
		return nil, required("newpass")
	}
	return c.secret(req.NewPass, req.Enc), nil
}

// profileChange reads the profile fields a request gives; absent ones keep
// their value.
func profileChange(req wire.Request) account.Profile {
	var p account.Profile
	if req.Firm != "" {
		p.Firm = &req.Firm
	}
	if req.Roles != "" {
		p.Roles = &req.Roles
	}
	p.Attr = req.Attr
	switch strings.ToUpper(req.Use2FA) {
	case "Y":
		on := true
		p.Use2FA, p.NewSeed = &on, true
	case "N":
		off := false
		p.Use2FA = &off
	}
	return p
}

func (c *conn) resetPass(ctx context.Context, req wire.Request) error {
	if !c.user.admin {
		return account.ErrNotAllowed // the rules refuse it too
	}
	if req.UserID == "" {
		return required("userid")
	}
	pw, err := c.newPassword(req)
	if err != nil {
		return err
	}
	p := profileChange(req)
	p.NewSeed = false
	return c.h.acct.SetPassword(ctx, c.origin(), c.grant.For(req.UserID), pw, p)
}

func (c *conn) changePass(ctx context.Context, req wire.Request) (string, error) {
	userID := c.grant.UserID
	if req.UserID != "" {
		userID = req.UserID
	}
	own := strings.EqualFold(userID, c.grant.UserID)
	target, p := c.grant.For(userID), account.Profile{}
	switch {
	case c.user.admin:
		p = profileChange(req)
		p.NewSeed = false
	case own:
		target = c.grant.Self()
	}
	if req.Pass == "" {
		return userID, required("pass (the current password)")
	}
	pw, err := c.newPassword(req)
	if err != nil {
		return userID, err
	}
	g, err := c.h.acct.ChangePassword(ctx, c.origin(), target, c.secret(req.Pass, req.Enc), pw, p)
	if err == nil && own {
		c.setGrant(g) // the socket's own login goes on
	}
	return userID, err
}

// upsertUser creates a user with the password in pass, or updates an
// existing one's profile; with use2fa "Y" it returns a new seed in base32.
func (c *conn) upsertUser(ctx context.Context, req wire.Request) (string, error) {
	if !c.user.admin {
		return "", account.ErrNotAllowed
	}
	if req.UserID == "" {
		return "", required("userid")
	}
	p := profileChange(req)
	tok, err := c.h.acct.UpdateProfile(ctx, c.origin(), c.grant.For(req.UserID), p)
	if errors.Is(err, account.ErrNoSuchUser) {
		tok, err = c.create(ctx, req)
	}
	if err != nil || tok == nil {
		return "", err
	}
	return tok.Secret.Base32(), nil
}

// create makes the user an adduser names; 2FA is on unless use2fa is "N".
func (c *conn) create(ctx context.Context, req wire.Request) (*token.Token, error) {
	if req.Pass == "" {
		return nil, required("pass (the new user's password)")
	}
	pw := c.secret(req.Pass, req.Enc)
	created, err := c.h.acct.CreateUser(ctx, c.origin(), &c.grant, account.NewUser{UserID: req.UserID, Password: pw, Firm: req.Firm,
		Roles: req.Roles, Attr: req.Attr, Use2FA: !strings.EqualFold(req.Use2FA, "N"), Seed: strings.EqualFold(req.Use2FA, "Y")})
	return created.Token, err
}
