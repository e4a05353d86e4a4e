// Package console is the operators' console: server-rendered pages at
// /admin/ on the admin listener (serve --admin-listen), where help-desk
// operators, administrators and auditors find users and act on them
// through the rules service, each signed in with their password and
// their own second factor (docs/console.md).
package console

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// Prefix is where the console is served.
const Prefix = "/admin/"

// Config is what the console runs with.
type Config struct {
	Accounts *account.Service
	// MaxTempDays bounds temporary passcodes.
	MaxTempDays int
	Logger      *slog.Logger
	Now         func() time.Time
}

// New returns the console's handler.
func New(cfg Config) http.Handler {
	return http.NotFoundHandler()
}
