package account_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/directory"
	"github.com/softtoken/softtoken/server/ldaptest"
)

// A password too long for the directory (slapd drops the connection of a
// bind over 256 KiB) is a wrong password, counted by the throttle: were
// it an outage, it would be refunded, and anyone could send such
// passwords without end, each one a bind and a false outage in the audit.
func TestDirectoryHugePasswordIsWrongNotBusy(t *testing.T) {
	ctx := context.Background()
	srv := ldaptest.Start(t, ldaptest.User{UID: "omar", Password: "omar-dir-pass-1", Mail: "omar@bank.test", Member: true})
	d, err := directory.New(directory.Config{URL: srv.URL, BindDN: ldaptest.BindDN, BindPassword: ldaptest.BindPW, Base: ldaptest.Base, Group: ldaptest.Group})
	if err != nil {
		t.Fatal(err)
	}
	f := withDirectory(t, d)
	syncDir(t, f, false)
	huge := bytes.Repeat([]byte("a"), 300_000)
	if _, _, err := f.svc.CheckPassword(ctx, admin, "omar", huge); !errors.Is(err, account.ErrInvalidLogin) {
		t.Errorf("a 300 kB password: %v, want ErrInvalidLogin", err)
	}
	for _, e := range events(t, f, "omar", "password") {
		if e.Outcome == string(account.CodeBusy) {
			t.Errorf("a 300 kB password audited as an outage: %+v", e)
		}
	}
}
