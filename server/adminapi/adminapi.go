// Package adminapi is the admin API: JSON at /api/v1/ on the admin
// listener (serve --admin-listen), for provisioning scripts, with keys
// made by `softtoken-server apikey add` (docs/api.md).
//
// Each request is parsed, handed to one method of the rules service
// (server/account) with the key's actor, and its result rendered: the
// rules decide what the key's role may do, and record in the audit that
// the key did it. The adapter adds what only HTTP has: the key read from
// the Authorization header, rate limits per key and per client address
// (for bad keys), bounded JSON bodies, and errors as JSON with a stable
// code (errors.go).
package adminapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/request"
)

// Prefix is where the API is served.
const Prefix = "/api/v1/"

// via names the API in the audit's origin.
const via = "admin API"

// Default rates: a script's key does a few requests a second at most; a
// client address that sends bad keys gets a handful of tries a minute,
// so that keys cannot be guessed (they are 256 bits anyway) nor the
// database hammered with lookups.
var (
	DefaultKeyRate    = ratelimit.Rate{PerMinute: 300, Burst: 60}
	DefaultBadKeyRate = ratelimit.Rate{PerMinute: 10, Burst: 10}
)

// DefaultMaxTempDays bounds temporary passcodes when Config.MaxTempDays
// is zero: a week, as the admin command line's default.
const DefaultMaxTempDays = 7

// Config is what the API runs with.
type Config struct {
	Accounts *account.Service
	// MaxTempDays bounds temporary passcodes (DefaultMaxTempDays if
	// zero).
	MaxTempDays int
	// KeyRate limits the requests of each key (DefaultKeyRate if zero);
	// BadKeyRate, the requests with a missing or bad key from each client
	// address (DefaultBadKeyRate if zero).
	KeyRate, BadKeyRate ratelimit.Rate
	Logger              *slog.Logger
	Now                 func() time.Time
}

// api is the handler: the routes, and the limiters they share.
type api struct {
	cfg    Config
	mux    *http.ServeMux
	perKey *ratelimit.Limiter
	badKey *blocker
}

// New returns the API's handler.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxTempDays <= 0 {
		cfg.MaxTempDays = DefaultMaxTempDays
	}
	cfg.KeyRate, cfg.BadKeyRate = cfg.KeyRate.Or(DefaultKeyRate), cfg.BadKeyRate.Or(DefaultBadKeyRate)
	a := &api{cfg: cfg, mux: http.NewServeMux(), perKey: cfg.KeyRate.Limiter(), badKey: newBlocker(cfg.BadKeyRate)}
	for _, rt := range a.routes() {
		a.mux.Handle(rt.path, a.serve(rt))
	}
	a.mux.Handle(Prefix, a.serve(route{path: Prefix}))
	return a.mux
}

// handler is an endpoint: it parses r, calls the rules as by, and
// returns the status and body of the answer, or an error (errors.go).
type handler func(r *http.Request, by account.Actor) (int, any, error)

// route is a path of the API and its handler for each method; a path
// with no methods is the catch-all, which answers not_found once the key
// is checked. A public route needs no key.
type route struct {
	path    string
	methods map[string]handler
	public  bool
}

// serve answers the requests of rt: the key is checked and counted, then
// the method's handler runs.
func (a *api) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		var by account.Actor
		if !rt.public {
			var err error
			if by, err = a.authenticate(r); err != nil {
				a.fail(w, r, err)
				return
			}
		}
		h, ok := rt.methods[r.Method]
		switch {
		case rt.methods == nil:
			a.fail(w, r, errNotFound)
			return
		case !ok:
			w.Header().Set("Allow", allowed(rt.methods))
			a.fail(w, r, errMethod)
			return
		}
		status, body, err := h(r, by)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, status, body)
	})
}

// origin is where r comes from, for the audit.
func origin(r *http.Request) account.Origin {
	return account.Origin{Client: request.ClientAddr(r), Via: via}
}
