package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// A service account's right password answered as a wrong one (by a
// network device's login, or from outside the account's networks)
// leaves the throttle as a wrong password leaves it: were the throttle
// cleared, the next wrong password answered at once instead of
// "throttled" (or, over RADIUS, after a hash's time instead of at once)
// would tell that the refused guess was the password.
func TestRefusedServicePasswordKeepsThrottle(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		try  func(f *fixture, backend account.Grant, pw string) error
	}{
		{"network device", func(f *fixture, backend account.Grant, pw string) error {
			_, err := f.svc.NetworkLogIn(ctx, radiusVPN, account.Attempt{UserID: "portal", Password: []byte(pw)})
			return err
		}},
		{"verifylogin", func(f *fixture, backend account.Grant, pw string) error {
			_, err := f.svc.Verify(ctx, account.Origin{Client: "127.0.0.1", Via: "websocket"}, backend, "portal", []byte(pw), "")
			return err
		}},
		{"outside its networks", func(f *fixture, backend account.Grant, pw string) error {
			_, err := f.svc.Login(ctx, account.Origin{Client: "192.0.2.1", Via: "websocket"}, "portal", []byte(pw), "")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			addUser(t, f, account.NewUser{UserID: "portal", Admin: true, Service: true})
			backend := service(t, f, "backend", "127.0.0.1", account.ServiceLimits{})
			for i := range account.DefaultFreeFailures + 1 {
				if err := tc.try(f, backend, "wrong password"); !errors.Is(err, account.ErrInvalidLogin) {
					t.Fatalf("wrong password %d: %v", i+1, err)
				}
			}
			f.now = f.now.Add(time.Second) // the first wait ends
			if err := tc.try(f, backend, "portal password"); !errors.Is(err, account.ErrInvalidLogin) {
				t.Fatalf("the right password: %v, want %v", err, account.ErrInvalidLogin)
			}
			if err := tc.try(f, backend, "wrong password"); !errors.Is(err, account.ErrThrottled) {
				t.Errorf("a wrong password right after the refused right one: %v, want %v, as after a wrong one", err, account.ErrThrottled)
			}
		})
	}
}
