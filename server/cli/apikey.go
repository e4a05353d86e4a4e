package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// The commands about the admin API's keys (docs/api.md): made here, on
// the host, and never through the API itself, so that a leaked key cannot
// make itself a stronger one.

// apikeyCmd runs apikey add, list or revoke.
func apikeyCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("apikey: say add, list or revoke")
	}
	switch args[0] {
	case "add":
		return apikeyAdd(ctx, env, args[1:])
	case "list":
		return apikeyList(ctx, env, args[1:])
	case "revoke":
		return apikeyRevoke(ctx, env, args[1:])
	}
	return usagef("apikey: unknown subcommand %q", args[0])
}

// apiKeyJSON is how the commands show a key: the key itself only once,
// when it is made.
type apiKeyJSON struct {
	Name    string     `json:"name"`
	Role    string     `json:"role"`
	Key     string     `json:"key,omitempty"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
}

// apikeyAdd makes a key and prints it once.
func apikeyAdd(ctx context.Context, env Env, args []string) error {
	var c common
	var role account.Role
	fs := newFlags(env, "apikey add", &c)
	fs.Func("role", "the key's role: admin, helpdesk or auditor (required)", func(v string) (err error) {
		role, err = account.ParseRole(v)
		return err
	})
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if role == "" {
		return usagef("apikey add: give the key's --role (admin, helpdesk or auditor)")
	}
	d, err := c.open(ctx, env, account.Config{})
	if err != nil {
		return err
	}
	defer d.Close()
	key, err := d.acct.AddAPIKey(ctx, account.Admin, rest[0], role)
	if err != nil {
		return err
	}
	out := apiKeyJSON{Name: rest[0], Role: string(role), Key: key, Created: env.Now().UTC()}
	return c.report(env, out, fmt.Sprintf("API key %s (%s): %s\nIt is shown only now: keep it in the script's secret store. "+
		"Send it as \"Authorization: Bearer KEY\" to the admin listener.", rest[0], role, key))
}

// apikeyList lists the keys, revoked ones too; never a key.
func apikeyList(ctx context.Context, env Env, args []string) error {
	var c common
	if _, err := parse(newFlags(env, "apikey list", &c), args, 0); err != nil {
		return err
	}
	d, err := c.open(ctx, env, account.Config{})
	if err != nil {
		return err
	}
	defer d.Close()
	keys, err := d.acct.APIKeys(ctx)
	if err != nil {
		return err
	}
	out := make([]apiKeyJSON, len(keys))
	for i, k := range keys {
		out[i] = apiKeyJSON{Name: k.Name, Role: string(k.Role), Created: k.Created.UTC()}
		if !k.Revoked.IsZero() {
			r := k.Revoked.UTC()
			out[i].Revoked = &r
		}
	}
	if c.json {
		return printJSON(env.Stdout, out)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tROLE\tCREATED\tREVOKED")
	for _, k := range out {
		revoked := "-"
		if k.Revoked != nil {
			revoked = k.Revoked.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", escaped(k.Name), escaped(k.Role), k.Created.Format(time.RFC3339), revoked)
	}
	return w.Flush()
}

// apikeyRevoke revokes a key by name.
func apikeyRevoke(ctx context.Context, env Env, args []string) error {
	var c common
	rest, err := parse(newFlags(env, "apikey revoke", &c), args, 1)
	if err != nil {
		return err
	}
	d, err := c.open(ctx, env, account.Config{})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.acct.RevokeAPIKey(ctx, account.Admin, rest[0]); err != nil {
		return err
	}
	return c.report(env, map[string]any{"name": rest[0], "revoked": true}, "Revoked API key "+rest[0]+": its next request is refused")
}
