package account_test

import (
	"context"
	"errors"
	"testing"

	"github.com/softtoken/softtoken/server/account"
)

// The hold a back-end's verifylogin took is released by that back-end's
// holder alone: not by another holder of the same or another back-end,
// not by a back-end without the verify scope, not by the user. Every
// request is audited; the refused ones leave the hold as it was.
func TestReleaseHoldOnlyByItsHolder(t *testing.T) {
	f := newFixture(t)
	ctx, from := context.Background(), account.Origin{Client: "127.0.0.1", Via: "websocket"}
	portal := service(t, f, "portal", "127.0.0.1", account.ServiceLimits{})
	other := service(t, f, "portal2", "127.0.0.1", account.ServiceLimits{})
	manager := service(t, f, "provisioning", "127.0.0.1", account.ServiceLimits{Scopes: []account.Scope{account.ScopeManage}})
	if _, err := f.svc.VerifyLogIn(ctx, from, portal, account.Attempt{UserID: "alice", Password: []byte("correct horse"), Passcode: f.code(t, 0)}, "socket-1"); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		by     account.Grant
		holder string
		want   error
		held   bool
	}{
		{"another back-end", other, "socket-2", account.ErrNoSession, true},
		{"another socket of the same back-end", portal, "socket-2", account.ErrNoSession, true},
		{"a back-end without the verify scope", manager, "socket-1", account.ErrNotAllowed, true},
		{"the user", f.password(t), "socket-1", account.ErrNotAllowed, true},
		{"the holder", portal, "socket-1", nil, false},
		{"the holder again", portal, "socket-1", account.ErrNoSession, false},
	}
	for _, s := range steps {
		if err := f.svc.ReleaseHold(ctx, from, s.by, "ALICE", s.holder); !errors.Is(err, s.want) {
			t.Errorf("%s: %v, want %v", s.name, err, s.want)
		}
		if _, held := holders(t, f)["alice"]; held != s.held {
			t.Errorf("after %s: alice held %v, want %v", s.name, held, s.held)
		}
	}
	got := map[account.Code]int{}
	for _, e := range events(t, f, "alice", "verifylogout") {
		got[e.Code]++
	}
	if want := map[account.Code]int{account.CodeOK: 1, account.CodeNoSession: 3, account.CodeNotAllowed: 1}; len(got) != len(want) ||
		got[account.CodeOK] != 1 || got[account.CodeNoSession] != 3 || got[account.CodeNotAllowed] != 1 {
		t.Errorf("verifylogout records by outcome: %v, want %v", got, want)
	}
	if scope := events(t, f, "provisioning", "service scope"); len(scope) != 1 {
		t.Errorf("the scope refusal's records under the back-end: %d, want 1", len(scope))
	}
}
