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
func (p peer) addUser(ctx context.Context, st *state, req wire.Request) wire.Response {
	resp := wire.Response{Type: wire.TypeAddUser, UserID: req.UserID, Firm: req.Firm, Roles: req.Roles,
		Attr: req.Attr, UpdateProf: req.UpdateProf, ResetPass: req.ResetPass}
	if st.stage != stageLoggedIn {
		resp.Result = wire.ResultNotAllowed
		return resp
	}
	var err error
	switch {
	case req.UpdateProf && req.ResetPass:
		err = p.resetPass(ctx, st, req)
	case req.UpdateProf:
		resp.UserID, err = p.changePass(ctx, st, req)
	default:
		resp.TwoFASeed, err = p.upsertUser(ctx, st, req)
	}
	resp.Result = wire.ResultOK
	if err == nil && req.UpdateProf {
		resp.BrokerCommRate = p.commRateOf(ctx, st, resp.UserID)
	}
	if err != nil {
		resp.Result = p.result(err)
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
func (st *state) newPassword(req wire.Request) ([]byte, error) {
	if req.NewPass == "" {
		return nil, required("newpass")
	}
	return st.secret(req.NewPass, req.Enc), nil
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

func (p peer) resetPass(ctx context.Context, st *state, req wire.Request) error {
	if !st.user.admin {
		return account.ErrNotAllowed // the rules refuse it too
	}
	if req.UserID == "" {
		return required("userid")
	}
	pw, err := st.newPassword(req)
	if err != nil {
		return err
	}
	change := profileChange(req)
	change.NewSeed = false
	return p.h.acct.SetPassword(ctx, p.origin(), st.grant.For(req.UserID), pw, change)
}

func (p peer) changePass(ctx context.Context, st *state, req wire.Request) (string, error) {
	userID := st.grant.UserID
	if req.UserID != "" {
		userID = req.UserID
	}
	own := strings.EqualFold(userID, st.grant.UserID)
	target, change := st.grant.For(userID), account.Profile{}
	switch {
	case st.user.admin:
		change = profileChange(req)
		change.NewSeed = false
	case own:
		target = st.grant.Self()
	}
	if req.Pass == "" {
		return userID, required("pass (the current password)")
	}
	pw, err := st.newPassword(req)
	if err != nil {
		return userID, err
	}
	g, err := p.h.acct.ChangePassword(ctx, p.origin(), target, st.secret(req.Pass, req.Enc), pw, change)
	if err == nil && own {
		st.grant = g // the socket's own login goes on
	}
	return userID, err
}

// upsertUser creates a user with the password in pass, or updates an
// existing one's profile; with use2fa "Y" it returns a new seed in base32.
func (p peer) upsertUser(ctx context.Context, st *state, req wire.Request) (string, error) {
	if !st.user.admin {
		return "", account.ErrNotAllowed
	}
	if req.UserID == "" {
		return "", required("userid")
	}
	tok, err := p.h.acct.UpdateProfile(ctx, p.origin(), st.grant.For(req.UserID), profileChange(req))
	if errors.Is(err, account.ErrNoSuchUser) {
		tok, err = p.create(ctx, st, req)
	}
	if err != nil || tok == nil {
		return "", err
	}
	return tok.Secret.Base32(), nil
}

// create makes the user an adduser names; 2FA is on unless use2fa is "N".
func (p peer) create(ctx context.Context, st *state, req wire.Request) (*token.Token, error) {
	if req.Pass == "" {
		return nil, required("pass (the new user's password)")
	}
	pw := st.secret(req.Pass, req.Enc)
	created, err := p.h.acct.CreateUser(ctx, p.origin(), &st.grant, account.NewUser{UserID: req.UserID, Password: pw, Firm: req.Firm,
		Roles: req.Roles, Attr: req.Attr, Use2FA: !strings.EqualFold(req.Use2FA, "N"), Seed: strings.EqualFold(req.Use2FA, "Y")})
	return created.Token, err
}
