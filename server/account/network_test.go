package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/account"
)

// radiusVPN is the origin of a network device's requests in these tests:
// on loopback, inside the service account's networks, so that only
// NetworkLogIn's own refusal keeps it out.
var radiusVPN = account.Origin{Client: "127.0.0.1", Via: "RADIUS client vpn"}

// NetworkLogIn: a user with a token owes a passcode; a service account's
// right password is answered as a wrong one, and audited so; an SMS user
// is sent the passcode the login owes.
func TestNetworkLogIn(t *testing.T) {
	ctx := context.Background()
	f := newService(t, func(c *account.Config) { c.SMSMode = account.SMSOnDemand }, texting)
	addUser(t, f, account.NewUser{UserID: "portal", Admin: true, Service: true})
	smsUser(t, f, "+447700900123")
	for _, tc := range []struct {
		user, pw string
		want     error
		owes     bool
	}{
		{"alice", "correct horse", nil, true},
		{"alice", "wrong horse", account.ErrInvalidLogin, false},
		{"portal", "portal password", account.ErrInvalidLogin, false},
		{"carol", "carol password", nil, true},
	} {
		in, err := f.svc.NetworkLogIn(ctx, radiusVPN, account.Attempt{UserID: tc.user, Password: []byte(tc.pw)})
		if !errors.Is(err, tc.want) || in.NeedPasscode != tc.owes {
			t.Errorf("%s with %q: %v, owes a passcode %v; want %v, %v", tc.user, tc.pw, err, in.NeedPasscode, tc.want, tc.owes)
		}
	}
	refused := events(t, f, "portal", "login")
	if len(refused) != 1 || !strings.Contains(refused[0].Detail, "network device") || !strings.Contains(refused[0].Detail, "via RADIUS client vpn") {
		t.Errorf("the service account's refusal in the audit: %+v", refused)
	}
	if f.textCount() != 1 {
		t.Errorf("%d text messages, want the one passcode carol owes", f.textCount())
	}
	g := passwordOf(t, f, "carol")
	if _, err := f.svc.CheckPasscode(ctx, radiusVPN, g, f.lastText(t, "+447700900123")); err != nil {
		t.Errorf("carol's texted passcode: %v", err)
	}
}
