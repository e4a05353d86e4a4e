package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/directory"
)

// The bank's directory (docs/directory.md): serve's and ldap sync's
// --ldap-… flags, and the sync, by command and on serve's schedule.

// ldapFlags say where the directory is and how to read it.
type ldapFlags struct {
	url, bindDN, bindPasswordFile, base, userFilter, group, ca string
	ad                                                         bool
	every                                                      time.Duration
}

// define defines the flags on fs, each with its SOFTTOKEN_LDAP_…
// variable; schedule adds serve's --ldap-sync-every.
func (l *ldapFlags) define(env Env, fs *flag.FlagSet, schedule bool) {
	str := func(p *string, name, help string) {
		v := "SOFTTOKEN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		fs.StringVar(p, name, env.Getenv(v), help+" ("+v+")")
	}
	str(&l.url, "ldap-url", "the directory: ldaps://HOST[:PORT], or ldap://HOST[:PORT] with StartTLS (plain only on loopback); none: no directory users")
	str(&l.bindDN, "ldap-bind-dn", "the service account softtoken searches the directory as")
	str(&l.bindPasswordFile, "ldap-bind-password-file", "file holding the service account's password (mode 600)")
	str(&l.base, "ldap-base", "where users are searched, e.g. dc=bank,dc=example")
	str(&l.userFilter, "ldap-user-filter", "filter that finds a user, {user} standing for the user ID (default (uid={user}), with --ldap-ad (sAMAccountName={user}))")
	str(&l.group, "ldap-group", "DN of the group whose members use softtoken")
	str(&l.ca, "ldap-ca", "PEM file of the CAs the directory's certificate is checked against (default: the system's)")
	fs.BoolVar(&l.ad, "ldap-ad", env.Getenv("SOFTTOKEN_LDAP_AD") == "1", "the directory is Active Directory: nested groups, userAccountControl (SOFTTOKEN_LDAP_AD=1)")
	if schedule {
		fs.DurationVar(&l.every, "ldap-sync-every", time.Hour, "how often serve syncs the directory's group into the users (0: never; ldap sync by hand)")
	}
}

// directory is the configured directory, or nil without --ldap-url.
func (l ldapFlags) directory() (directory.Directory, error) {
	if l.url == "" {
		return nil, nil
	}
	cfg := directory.Config{URL: l.url, BindDN: l.bindDN, Base: l.base, UserFilter: l.userFilter, Group: l.group, CAFile: l.ca, AD: l.ad}
	if l.bindPasswordFile != "" {
		st, err := os.Stat(l.bindPasswordFile)
		if err != nil {
			return nil, fmt.Errorf("--ldap-bind-password-file: %w", err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, usagef("--ldap-bind-password-file %s: others may read it: chmod 600", l.bindPasswordFile)
		}
		b, err := os.ReadFile(l.bindPasswordFile)
		if err != nil {
			return nil, fmt.Errorf("--ldap-bind-password-file: %w", err)
		}
		cfg.BindPassword = strings.TrimRight(string(b), "\r\n")
	}
	d, err := directory.New(cfg)
	if err != nil {
		return nil, usagef("--ldap-url: %v", err)
	}
	return d, nil
}

// ldapCmd runs ldap sync.
func ldapCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "sync" {
		return usagef("ldap: say sync")
	}
	var c common
	var lf ldapFlags
	var mf mailFlags
	fs := newFlags(env, "ldap sync", &c)
	lf.define(env, fs, false)
	mf.define(env, fs)
	dryRun := fs.Bool("dry-run", false, "print what the sync would do, and change nothing")
	if _, err := parse(fs, args[1:], 0); err != nil {
		return err
	}
	dir, err := lf.directory()
	if err != nil {
		return err
	}
	if dir == nil {
		return usagef("ldap sync: give --ldap-url and the other --ldap-… flags")
	}
	mailer, _ := mf.mailer(env, c.dataDir())
	d, err := c.open(ctx, env, account.Config{Directory: dir, Mail: mailer, MailFrom: mf.from, EnrolURL: mf.enrolURL})
	if err != nil {
		return err
	}
	defer d.Close()
	plan, err := d.acct.SyncDirectory(ctx, *dryRun)
	if err != nil {
		return err
	}
	return c.report(env, syncJSON(plan, *dryRun), syncText(plan, *dryRun))
}

// syncChangeJSON is one change of the sync, for --json.
type syncChangeJSON struct {
	UserID string `json:"userid"`
	Action string `json:"action"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
}

// syncJSON is the sync's changes for --json.
func syncJSON(plan []account.SyncChange, dryRun bool) any {
	out := struct {
		DryRun  bool             `json:"dry_run"`
		Changes []syncChangeJSON `json:"changes"`
	}{DryRun: dryRun, Changes: []syncChangeJSON{}}
	for _, c := range plan {
		j := syncChangeJSON{UserID: c.UserID, Action: c.Action, Detail: c.Detail}
		if c.Err != nil {
			j.Error = c.Err.Error()
		}
		out.Changes = append(out.Changes, j)
	}
	return out
}

// syncText is the sync's changes, a line each.
func syncText(plan []account.SyncChange, dryRun bool) string {
	var b strings.Builder
	if dryRun {
		b.WriteString("dry run: nothing changed\n")
	}
	for _, c := range plan {
		fmt.Fprintf(&b, "%s %s: %s", c.Action, c.UserID, c.Detail)
		if c.Err != nil {
			fmt.Fprintf(&b, ": failed: %v", c.Err)
		}
		b.WriteString("\n")
	}
	if len(plan) == 0 {
		b.WriteString("the users follow the directory: nothing to do\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// startDirectorySync syncs the directory every every until the function
// it returns is called (which waits for a sync under way); nothing
// without a directory or with every 0.
func startDirectorySync(ctx context.Context, env Env, accounts *account.Service, dir directory.Directory, every time.Duration) (stop func()) {
	if dir == nil || every <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			plan, err := accounts.SyncDirectory(ctx, false)
			if err != nil {
				env.Logger.Error("directory sync", "err", err)
			}
			for _, c := range plan {
				env.Logger.Info("directory sync", "action", c.Action, "userid", c.UserID, "detail", c.Detail, "err", c.Err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}
