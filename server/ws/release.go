package ws

import (
	"context"

	"github.com/softtoken/softtoken/server/wire"
)

// verifyLogout releases the hold this socket's verifylogin took on a
// user (with VerifyHoldsSession), when the user signs out of the portal:
// the rules allow it only to the back-end socket that holds it, and audit
// every request (account.Service.ReleaseHold).
func (p peer) verifyLogout(ctx context.Context, st *state, req wire.Request) wire.Response {
	resp := wire.Response{Type: wire.TypeVerifyLogout, UserID: req.UserID}
	switch {
	case st.stage != stageLoggedIn:
		resp.Result = wire.ResultNotAllowed
		return resp
	case req.UserID == "":
		resp.Result, resp.Message = wire.ResultMissingField, "userid is required"
		return resp
	}
	err := p.h.acct.ReleaseHold(ctx, p.origin(), st.grant, req.UserID, p.holder)
	resp.Result = wire.ResultOK
	if err != nil {
		resp.Result = p.result(err)
		resp.Message = map[string]string{
			wire.ResultNotAllowed: "only the back-end socket whose verifylogin holds the user may release it",
		}[resp.Result]
	}
	return resp
}
