package cli

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/softtoken/softtoken/server/account"
)

// DemoUserID is the user `demo` makes; DemoBackendID is its service
// account, for trying verifylogin and adduser as a web back-end would.
const (
	DemoUserID    = "demo.0001@softtoken.test"
	DemoBackendID = "demo-backend"
)

// demo is `softtoken-server demo --data DIR`, what `make run` starts: the
// server on loopback with its database in DIR and a demo user whose user
// ID, password and initial passcode it prints, so that a newcomer can enrol
// at once. The password is kept in DIR/demo-password (0600) so that a
// second run can show it again; a demo user who has not enrolled yet gets
// a fresh initial passcode on each run.
func demo(ctx context.Context, env Env, args []string) error {
	var dir, listen string
	fset := flag.NewFlagSet("demo", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	fset.StringVar(&dir, "data", "data", "folder for the demo's database, key, outbox and password")
	fset.StringVar(&listen, "listen", "127.0.0.1:8443", "loopback address to listen on")
	if _, err := parse(fset, args, 0); err != nil {
		return err
	}
	if err := checkListen(listen, false); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("demo data folder: %w", err)
	}
	c := common{db: filepath.Join(dir, "softtoken.db")}
	enrolURL := "http://" + listen + "/secenrol/"
	info, err := demoUser(ctx, env, c, dir, enrolURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, `
  softtoken demo server: %s
  ---------------------------------------------------------------
  Enrol URL:  %s
  User ID:    %s
  Password:   %s
  Passcode:   %s
  ---------------------------------------------------------------
  In softtoken press Add and enter these, or sign in at the enrol
  URL in a browser (app, SMS, or a One Swipe code for Scan QR).
  Self-help desk: http://%s/sechelpdesk/
  Web back-end (service account for verifylogin): %s, password %s
  Mail is in %s, text messages in %s.
  Ctrl+C stops the demo.

`, "http://"+listen, enrolURL, DemoUserID, info.password, info.passcode, listen, DemoBackendID, info.backend, filepath.Join(dir, "outbox"), filepath.Join(dir, "sms-outbox"))
	return serve(ctx, env, []string{"--db", c.db, "--listen", listen, "--enrol-url", enrolURL})
}

type demoInfo struct{ password, passcode, backend string }

func demoUser(ctx context.Context, env Env, c common, dir, enrolURL string) (demoInfo, error) {
	d, err := c.open(ctx, env, account.Config{})
	if err != nil {
		return demoInfo{}, err
	}
	defer d.Close()
	pw, err := demoPassword(filepath.Join(dir, "demo-password"))
	if err != nil {
		return demoInfo{}, err
	}
	backend, err := demoBackend(ctx, d, dir)
	if err != nil {
		return demoInfo{}, err
	}
	mf := mailFlags{enrolURL: enrolURL, from: "no-reply-softtoken@localhost", outbox: filepath.Join(dir, "outbox")}
	v, err := d.acct.User(ctx, account.CommandLine, DemoUserID)
	var created account.Created
	switch {
	case errors.Is(err, account.ErrNoSuchUser):
		created, err = d.acct.CreateUser(ctx, account.Admin, nil, account.NewUser{UserID: DemoUserID, Password: []byte(pw),
			Email: "demo@softtoken.test", InitialPasscode: true})
	case err != nil:
	case v.TokenSerial != "" || v.SMS:
		return demoInfo{password: pw, passcode: "(already enrolled: your token shows the passcodes)", backend: backend}, nil
	default:
		created, err = d.acct.Reset(ctx, account.Admin, account.ByAdmin(DemoUserID), []byte(pw))
	}
	if err != nil {
		return demoInfo{}, err
	}
	out := printable(created)
	d.sendWelcome(ctx, env, mf, c.dataDir(), created.User, &out)
	return demoInfo{password: pw, passcode: created.InitialPasscode, backend: backend}, nil
}

// demoBackend makes the demo's service account the first time, and
// returns its password.
func demoBackend(ctx context.Context, d *deps, dir string) (string, error) {
	pw, err := demoPassword(filepath.Join(dir, "backend-password"))
	if err != nil {
		return "", err
	}
	if _, err := d.acct.User(ctx, account.CommandLine, DemoBackendID); !errors.Is(err, account.ErrNoSuchUser) {
		return pw, err
	}
	_, err = d.acct.CreateUser(ctx, account.Admin, nil, account.NewUser{UserID: DemoBackendID, Password: []byte(pw), Admin: true, Service: true})
	return pw, err
}

// demoPassword reads a demo password from file, making one the first
// time.
func demoPassword(file string) (string, error) {
	raw, err := os.ReadFile(file)
	pw := strings.TrimSpace(string(raw))
	if err == nil && pw != "" {
		return pw, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read the demo password %s: %w", filepath.Base(file), err)
	}
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	pw = "demo-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	if err := os.WriteFile(file, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save the demo password %s: %w", filepath.Base(file), err)
	}
	return pw, nil
}
