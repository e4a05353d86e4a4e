package account_test

import (
	"context"
	"errors"
	"testing"

	"github.com/softtoken/softtoken/server/account"
)

// A new password or security answer is text someone could type: random
// bytes, what a protocol field that does not decrypt opens to (or a
// padding probe that does), are refused as a short password is, on every
// path that sets one.
func TestNewSecretsAreTypedText(t *testing.T) {
	ctx := context.Background()
	alice := account.ByAdmin("alice")
	sets := map[string]func(f *fixture, secret []byte) error{
		"create": func(f *fixture, v []byte) error {
			_, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "bob", Password: v})
			return err
		},
		"reset": func(f *fixture, v []byte) error { _, err := f.svc.Reset(ctx, admin, alice, v); return err },
		"password reset": func(f *fixture, v []byte) error {
			_, err := f.svc.SetPassword(ctx, admin, alice, v, account.Profile{})
			return err
		},
		"change": func(f *fixture, v []byte) error {
			_, _, err := f.svc.ChangePassword(ctx, admin, alice, []byte("correct horse"), v, account.Profile{})
			return err
		},
		"answers": func(f *fixture, v []byte) error {
			g, err := f.svc.CheckPasscode(ctx, admin, f.password(t), f.code(t, 0))
			if err != nil {
				t.Fatal(err)
			}
			return f.svc.SaveAnswers(ctx, admin, g, map[int]string{1: string(v), 2: "Rex"})
		},
	}
	for _, tc := range []struct {
		name, secret string
		ok           bool
	}{
		{"not UTF-8", "\xf0\x28\x8c\xbc\xfe\xff\x80\x81\xc3", false},
		{"a zero byte", "correct\x00horse", false},
		{"a tab", "correct\thorse", false},
		{"a C1 control", "correct\u0085horse", false},
		{"text", "Grüße aus Zürich", true},
	} {
		for name, set := range sets {
			want := map[bool]error{false: account.ErrWeakPassword, true: nil}[tc.ok]
			if name == "answers" && !tc.ok {
				want = account.ErrBadAnswers
			}
			if err := set(newFixture(t), []byte(tc.secret)); !errors.Is(err, want) {
				t.Errorf("%s with %s: %v, want %v", name, tc.name, err, want)
			}
		}
	}
}

// A password change looks at the new password only after the current one
// checks: with a wrong current password the answer is the same whatever
// the new one is, even the current one sent again.
func TestChangePasswordChecksTheCurrentFirst(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, tc := range []struct {
		name, current, next string
		want                error
	}{
		{"wrong current, untypeable new", "wrong horse", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", account.ErrInvalidLogin},
		{"wrong current, short new", "wrong horse", "short", account.ErrInvalidLogin},
		{"wrong current sent as new too", "wrong horse", "wrong horse", account.ErrInvalidLogin},
		{"right current, untypeable new", "correct horse", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", account.ErrWeakPassword},
		{"right current sent as new too", "correct horse", "correct horse", account.ErrSamePassword},
	} {
		_, _, err := f.svc.ChangePassword(ctx, admin, account.ByAdmin("alice"), []byte(tc.current), []byte(tc.next), account.Profile{})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
