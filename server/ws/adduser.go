package ws

import (
	"context"
	"errors"
	"strings"

	"github.com/softtoken/softtoken/server/account"
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
func (p peer) addUser(ctx context.Context, st *state, req wire.Request) wire.Response {
	resp := wire.Response{Type: wire.TypeAddUser, UserID: req.UserID, Firm: req.Firm, Roles: req.Roles,
		Attr: req.Attr, UpdateProf: req.UpdateProf, ResetPass: req.ResetPass}
	if st.stage != stageLoggedIn {
		resp.Result = wire.ResultNotAllowed
		return resp
	}
	var err error
	var changed account.UserView
	switch {
	case req.UpdateProf && req.ResetPass:
		changed, err = p.resetPass(ctx, st, req)
	case req.UpdateProf:
		resp.UserID, changed, err = p.changePass(ctx, st, req)
	default:
		resp.TwoFASeed, err = p.upsertUser(ctx, st, req)
	}
	resp.Result = wire.ResultOK
	if err == nil && req.UpdateProf {
		resp.BrokerCommRate = brokerCommRate(changed.Attr)
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

func (p peer) resetPass(ctx context.Context, st *state, req wire.Request) (account.UserView, error) {
	if !st.user.admin {
		return account.UserView{}, account.ErrNotAllowed // the rules refuse it too
	}
	if req.UserID == "" {
		return account.UserView{}, required("userid")
	}
	pw, err := st.newPassword(req)
	if err != nil {
		return account.UserView{}, err
	}
	change := profileChange(req)
	change.NewSeed = false
	return p.h.acct.SetPassword(ctx, p.origin(), st.grant.For(req.UserID), pw, change)
}

func (p peer) changePass(ctx context.Context, st *state, req wire.Request) (string, account.UserView, error) {
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
		return userID, account.UserView{}, required("pass (the current password)")
	}
	pw, err := st.newPassword(req)
	if err != nil {
		return userID, account.UserView{}, err
	}
	g, changed, err := p.h.acct.ChangePassword(ctx, p.origin(), target, st.secret(req.Pass, req.Enc), pw, change)
	if err == nil && own {
		st.grant = g // the socket's own login goes on
	}
	return userID, changed, err
}

// upsertUser creates a user with the password in pass, or updates an
// existing one's profile (account.SaveUser); 2FA is on for a new user
// unless use2fa is "N", and with use2fa "Y" it returns a new seed in
// base32.
func (p peer) upsertUser(ctx context.Context, st *state, req wire.Request) (string, error) {
	if !st.user.admin {
		return "", account.ErrNotAllowed
	}
	if req.UserID == "" {
		return "", required("userid")
	}
	var pw []byte
	if req.Pass != "" {
		pw = st.secret(req.Pass, req.Enc)
	}
	n := account.NewUser{UserID: req.UserID, Password: pw, Firm: req.Firm, Roles: req.Roles, Attr: req.Attr,
		Use2FA: !strings.EqualFold(req.Use2FA, "N"), Seed: strings.EqualFold(req.Use2FA, "Y")}
	tok, err := p.h.acct.SaveUser(ctx, p.origin(), st.grant, n, profileChange(req))
	if errors.Is(err, account.ErrPasswordNeeded) {
		return "", required("pass (the new user's password)")
	}
	if err != nil || tok == nil {
		return "", err
	}
	return tok.Secret.Base32(), nil
}
