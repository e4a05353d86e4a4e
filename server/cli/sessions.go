package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// The commands about concurrent-access sessions, which the server keeps
// in the database (account.Service.TakeSession): who is held, and an
// administrator's release of a user held by a session that is gone.

// userLogout ends a user's session, so that they may log in again at once.
func userLogout(ctx context.Context, env Env, args []string) error {
	return onUser(ctx, env, "user logout", args, nil, nil, func(d *deps, c common, userID string) error {
		err := d.acct.Logout(ctx, account.Admin, account.ByAdmin(userID))
		if err == nil {
			err = c.report(env, map[string]any{"userid": userID, "session_ended": true}, "Ended the session of "+userID+": they may log in again at once")
		}
		return err
	})
}

// sessionList lists the sessions that hold users now.
func sessionList(ctx context.Context, env Env, args []string) error {
	var c common
	if _, err := parse(newFlags(env, "session list", &c), args, 0); err != nil {
		return err
	}
	d, err := c.open(ctx, env, account.Config{})
	if err != nil {
		return err
	}
	defer d.Close()
	leases, err := d.acct.Sessions(ctx, account.CommandLine)
	if err != nil {
		return err
	}
	type sessionJSON struct {
		UserID string    `json:"userid"`
		Open   bool      `json:"open"`
		Until  time.Time `json:"until"`
	}
	out := make([]sessionJSON, len(leases))
	for i, l := range leases {
		out[i] = sessionJSON{UserID: l.UserID, Open: l.Open, Until: l.Until}
	}
	if c.json {
		return printJSON(env.Stdout, out)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "USERID\tSOCKET\tHOLDS UNTIL")
	for _, s := range out {
		fmt.Fprintf(w, "%s\t%s\t%s\n", escaped(s.UserID), map[bool]string{true: "open", false: "closed"}[s.Open], s.Until.UTC().Format(time.RFC3339))
	}
	return w.Flush()
}
