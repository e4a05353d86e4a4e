// Package adminapi is the admin API: JSON at /api/v1/ on the admin
// listener (serve --admin-listen), for provisioning scripts, with keys
// made by `softtoken-server apikey add` (docs/api.md).
package adminapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// Prefix is where the API is served.
const Prefix = "/api/v1/"

// Config is what the API runs with.
type Config struct {
	Accounts *account.Service
	// MaxTempDays bounds temporary passcodes.
	MaxTempDays int
	Logger      *slog.Logger
	Now         func() time.Time
}

// New returns the API's handler.
func New(cfg Config) http.Handler {
	return http.NotFoundHandler()
}
