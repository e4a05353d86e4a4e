package stress

import (
	"context"
	"fmt"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/token"
)

// The service account every scenario's back-end signs in as. Its hash is
// cheap (the server checks each hash with the cost stored in it), so that
// thousands of its logins cost the RSA decryption, not argon2id: what a
// scenario measures is the server's own work around them.
const (
	serviceID = "stress-backend"
	servicePW = "stress-backend-password"
)

// cheap are argon2id costs for accounts whose hashing a scenario does not
// measure.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1}

// trader is a user with a token, for verifylogin.
type trader struct {
	id, pw string
	tok    token.Token
}

// prepare makes the database db with the service account and n traders
// with tokens, whose passwords are hashed at cost (password.Default for a
// realistic check).
func prepare(ctx context.Context, db string, n int, cost password.Params) ([]trader, error) {
	if err := addUsers(ctx, db, cheap, account.NewUser{UserID: serviceID, Password: []byte(servicePW), Admin: true, Service: true}); err != nil {
		return nil, err
	}
	out := make([]trader, n)
	users := make([]account.NewUser, n)
	for i := range out {
		out[i] = trader{id: fmt.Sprintf("trader%05d", i), pw: fmt.Sprintf("trader-password-%05d", i)}
		users[i] = account.NewUser{UserID: out[i].id, Password: []byte(out[i].pw), Use2FA: true, Seed: true, OwnPassword: true}
	}
	a, err := server.OpenAccounts(ctx, server.Storage{DB: db}, account.Config{Hash: cost})
	if err != nil {
		return nil, err
	}
	defer a.Close()
	for i, u := range users {
		c, err := a.CreateUser(ctx, account.Admin, nil, u)
		if err != nil {
			return nil, fmt.Errorf("prepare %s: %w", u.UserID, err)
		}
		out[i].tok = *c.Token
	}
	return out, nil
}

// addUsers makes users whose passwords are hashed at cost.
func addUsers(ctx context.Context, db string, cost password.Params, users ...account.NewUser) error {
	a, err := server.OpenAccounts(ctx, server.Storage{DB: db}, account.Config{Hash: cost})
	if err != nil {
		return err
	}
	defer a.Close()
	for _, u := range users {
		if _, err := a.CreateUser(ctx, account.Admin, nil, u); err != nil {
			return fmt.Errorf("prepare %s: %w", u.UserID, err)
		}
	}
	return nil
}
