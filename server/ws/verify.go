package ws

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/wire"
)

// verifyLogin is a web back-end's check of a user's password and
// passcode, on the socket of a logged-in administrator.
func (p peer) verifyLogin(ctx context.Context, st *state, req wire.Request) wire.Response {
	resp := wire.Response{Type: wire.TypeVerifyLogin, UserID: req.UserID}
	switch {
	case st.stage != stageLoggedIn || !st.user.admin:
		resp.Result = wire.ResultNotAllowed
		return resp
	case req.UserID == "" || req.Pass == "":
		resp.Result = wire.ResultMissingField
		return resp
	}
	holder := ""
	if p.h.cfg.VerifyHoldsSession {
		holder = p.holder
	}
	in, err := p.h.acct.VerifyLogIn(ctx, p.origin(), st.grant,
		account.Attempt{UserID: req.UserID, Password: st.secret(req.Pass, req.Enc), Passcode: req.TwoFAToken}, holder)
	level := 0
	switch {
	case errors.Is(err, account.ErrDisabled) && in.User.UserID != "":
		// Right password, disabled account: the web back-end learns it is inactive.
		resp.Result, resp.Active, resp.Attr, resp.VerifyLevel = wire.ResultOK, "N", in.User.Attr, &level
		return resp
	case err != nil:
		resp.Result = p.result(err)
		return p.held(resp, err)
	case in.NeedPasscode && in.User.SMS:
		// The seed: "verifylogin will generate token afterwards, if no 2fa
		// token is present". The back-end sends verifylogin again with
		// the code the user got.
		msg, _ := p.smsMessage(in)
		resp.Result, resp.Message = wire.ResultNeed2FA, msg+"; send verifylogin again with the password and the code"
		return resp
	case in.NeedPasscode:
		resp.Result = wire.ResultTokenMissing
		return resp
	}
	if in.Grant.Proof != account.ProofPassword {
		level = 1
	}
	resp.Result, resp.Active, resp.UserID, resp.Attr = wire.ResultOK, "Y", in.User.UserID, attrOrEmpty(in.User.Attr)
	resp.SecondFactor = secondFactors[in.Grant.Proof]
	resp.VerifyLevel, resp.MustChangePassword = &level, in.User.MustChangePassword
	return resp
}

// secondFactors names, for verifylogin's reply, the second factors a
// sign-in can prove: the back-end may treat a temporary passcode, which
// rests on the password and a security answer, as weaker than a device.
// A proof not here (the password alone) names none.
var secondFactors = map[account.Proof]string{
	account.ProofToken:     wire.SecondFactorToken,
	account.ProofSMS:       wire.SecondFactorSMS,
	account.ProofTemporary: wire.SecondFactorTemporary,
}

func attrOrEmpty(a json.RawMessage) json.RawMessage {
	if len(a) == 0 {
		return json.RawMessage(`{}`)
	}
	return a
}
