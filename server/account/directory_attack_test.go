package account_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/directory"
	"github.com/softtoken/softtoken/server/ldaptest"
	"github.com/softtoken/softtoken/server/password"
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

// poolTaker checks passwords with the real directory, then takes the
// hashing pool's only room (as other sign-ins would), so that the
// passcode after the directory's answer finds the pool busy.
type poolTaker struct {
	directory.Directory
	pool  *password.Pool
	held  *password.Slot
	binds int
}

func (d *poolTaker) CheckPassword(ctx context.Context, userID, key string, pw []byte) error {
	d.binds++
	err := d.Directory.CheckPassword(ctx, userID, key, pw)
	var aerr error
	if d.held, aerr = d.pool.Acquire(ctx, cheap); aerr != nil {
		panic(aerr)
	}
	return err
}

// A wrong directory password stays counted when the hashing pool is busy
// for the passcode that came with it: refunded, it would let a source
// that keeps the pool busy send wrong passwords to the directory without
// end, and lock the user's directory account by hammering it.
func TestDirectoryWrongPasswordCountedWhenPoolBusy(t *testing.T) {
	ctx := context.Background()
	srv := ldaptest.Start(t, ldaptest.User{UID: "pia", Password: "pia-dir-pass-1", Mail: "pia@bank.test", Member: true})
	real, err := directory.New(directory.Config{URL: srv.URL, BindDN: ldaptest.BindDN, BindPassword: ldaptest.BindPW, Base: ldaptest.Base, Group: ldaptest.Group})
	if err != nil {
		t.Fatal(err)
	}
	dir := &poolTaker{Directory: real}
	f := newService(t, func(c *account.Config) { c.Directory = dir; c.Logger = slog.New(slog.DiscardHandler) }, func(f *fixture) {
		dir.pool = password.NewPool(int64(cheap.Memory)<<10, 10*time.Millisecond)
		f.hashing = dir.pool
	})
	syncDir(t, f, false)
	for range 20 {
		f.svc.Login(ctx, admin, "pia", []byte("pia-wrong-1"), "123456")
		if dir.held != nil {
			dir.held.Release()
			dir.held = nil
		}
	}
	if dir.binds > account.DefaultFreeFailures+1 {
		t.Errorf("20 wrong passwords with a busy pool: %d binds as pia, want at most %d", dir.binds, account.DefaultFreeFailures+1)
	}
}
