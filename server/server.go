package server

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/adminapi"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/console"
	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/web"
	"github.com/softtoken/softtoken/server/ws"
)

// Config is what a server runs with. `serve` fills it from flags and the
// environment; servertest from a test's choices.
type Config struct {
	Store  store.Store
	Sealer *seal.Sealer
	// Keys are the challenge RSA keys of the websocket protocol.
	Keys *challenge.Keys
	// Rules configures the rules service (its Now and Logger default to
	// the server's).
	Rules account.Config
	// WS tunes the websocket protocol (its Now and Logger too).
	WS ws.Config
	// Web bounds what strangers' requests cost the pages: per-address
	// rates, camera frames, sessions.
	Web web.Limits
	// EnrolURL is the enrol page's public address, for One Swipe codes; its
	// host names the server in the tokens it enrols.
	EnrolURL string
	// Proxies are the reverse proxies whose forwarding headers name the
	// client and its scheme (none by default). The pages' cookies are
	// Secure, and HSTS on, when the client's side is HTTPS.
	Proxies request.Proxies
	// MaxTempDays bounds temporary passcodes from the self-help desk.
	MaxTempDays int
	// HTTP bounds how long a client may take over a request (zero fields
	// take the defaults of DefaultTimeouts).
	HTTP Timeouts
	// Metrics counts what operators watch (nil: nothing is counted); serve
	// serves them on a listener of their own (--metrics-listen). One
	// Metrics serves one server: New registers the server's gauges on it.
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	Now     func() time.Time
}

// Timeouts bound how long a client may take over an HTTP request: a slow
// client must not hold a connection, and its goroutine, for ever. A
// websocket, once upgraded, has its own deadlines (server/ws).
type Timeouts struct {
	// ReadHeader bounds the request's headers, Read the whole request,
	// Write the answer; Idle closes a kept-alive connection that sends no
	// new request.
	ReadHeader, Read, Write, Idle time.Duration
}

// DefaultTimeouts are generous for a person's browser and a camera frame
// on a slow line, short for a slow-sending attacker.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 60 * time.Second, Idle: 2 * time.Minute}

// withDefaults fills the zero (or negative) fields with DefaultTimeouts'.
func (t Timeouts) withDefaults() Timeouts {
	for _, f := range []struct{ v, def *time.Duration }{{&t.ReadHeader, &DefaultTimeouts.ReadHeader}, {&t.Read, &DefaultTimeouts.Read},
		{&t.Write, &DefaultTimeouts.Write}, {&t.Idle, &DefaultTimeouts.Idle}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return t
}

// Server is the companion server's HTTP handler and its rules service.
type Server struct {
	http.Handler
	// Admin is the operators' side: the console at /admin/ and the admin
	// API at /api/v1/, served on a listener of its own (serve
	// --admin-listen), never on the public one.
	Admin http.Handler
	// Accounts is the rules service, for the housekeeping the caller runs.
	Accounts *account.Service
	timeouts Timeouts
}

// Serve sets up hs to serve s: the handler and the timeouts. serve and
// servertest both use it, so that tests meet the limits users do.
func (s *Server) Serve(hs *http.Server) {
	s.serve(hs, s.Handler)
}

// ServeAdmin sets up hs to serve the operators' side (Admin) with the
// public listener's timeouts.
func (s *Server) ServeAdmin(hs *http.Server) {
	s.serve(hs, s.Admin)
}

func (s *Server) serve(hs *http.Server, h http.Handler) {
	hs.Handler = h
	hs.ReadHeaderTimeout, hs.ReadTimeout = s.timeouts.ReadHeader, s.timeouts.Read
	hs.WriteTimeout, hs.IdleTimeout = s.timeouts.Write, s.timeouts.Idle
}

// New builds the server's HTTP handler in one place: the websocket
// protocol at /ws, the enrol site, the self-help desk, a redirect from /
// to the enrol site, and /healthz and /readyz for load balancers.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	cfg.Rules.Metrics, cfg.WS.Metrics = cfg.Metrics, cfg.Metrics
	cfg.Rules.SMS, cfg.Rules.Mail = cfg.Metrics.SMS(cfg.Rules.SMS), cfg.Metrics.Mail(cfg.Rules.Mail)
	if cfg.Metrics != nil && cfg.Rules.Hashing == nil {
		cfg.Rules.Hashing = password.NewPool(password.DefaultBudget(), 0) // the rules' default, made here to be watched
	}
	cfg.Metrics.Hashing(cfg.Rules.Hashing)
	accounts := account.New(cfg.Store, cfg.Sealer, cfg.Rules)
	issuer := "softtoken"
	if u, err := url.Parse(cfg.EnrolURL); err == nil && u.Hostname() != "" {
		issuer = u.Hostname()
	}
	cfg.WS.Issuer = issuer
	mux := http.NewServeMux()
	sockets := ws.New(accounts, cfg.Keys, cfg.WS)
	mux.Handle("/ws", sockets)
	wc := web.Config{Accounts: accounts, EnrolURL: cfg.EnrolURL, Issuer: issuer, Limits: cfg.Web, MaxTempDays: cfg.MaxTempDays,
		Logger: cfg.Logger, Metrics: cfg.Metrics, Now: cfg.Now}
	enrol, desk := web.New(wc), web.NewHelpdesk(wc)
	mux.Handle(web.Prefix, enrol)
	mux.Handle(web.HelpdeskPrefix, desk)
	cfg.Metrics.Sockets(sockets.Sockets)
	cfg.Metrics.WebSessions(map[string]func() int{"enrol": enrol.Sessions, "helpdesk": desk.Sessions})
	cfg.Metrics.Evictions(map[string]func() uint64{"websocket": sockets.Evicted, "enrol": enrol.Evicted, "helpdesk": desk.Evicted})
	mux.Handle("GET /{$}", http.RedirectHandler(web.Prefix, http.StatusSeeOther))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("/readyz", readiness(cfg.Store, cfg.Logger))
	return &Server{Handler: cfg.Proxies.Handler(mux), Admin: cfg.Proxies.Handler(admin(cfg, accounts)), Accounts: accounts, timeouts: cfg.HTTP}
}

// admin is the operators' side: the console and the admin API.
func admin(cfg Config, accounts *account.Service) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, console.New(console.Config{Accounts: accounts, MaxTempDays: cfg.MaxTempDays, Logger: cfg.Logger, Now: cfg.Now}))
	mux.Handle(adminapi.Prefix, adminapi.New(adminapi.Config{Accounts: accounts, MaxTempDays: cfg.MaxTempDays, Logger: cfg.Logger, Now: cfg.Now}))
	mux.Handle("GET /{$}", http.RedirectHandler(console.Prefix, http.StatusSeeOther))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	return mux
}

// withDefaults fills the zero fields with the defaults: the real clock,
// the default logger, DefaultTimeouts and the desk beside the enrol page;
// the rules and the websocket take the server's clock and logger unless
// they have their own.
func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Logger = cmp.Or(c.Logger, slog.Default())
	c.Rules.Now, c.Rules.Logger = or(c.Rules.Now, c.Now), cmp.Or(c.Rules.Logger, c.Logger)
	c.WS.Now, c.WS.Logger = or(c.WS.Now, c.Now), cmp.Or(c.WS.Logger, c.Logger)
	c.HTTP = c.HTTP.withDefaults()
	if c.Rules.DeskURL == "" {
		c.Rules.DeskURL = deskURL(c.EnrolURL)
	}
	c.Rules.EnrolURL = cmp.Or(c.Rules.EnrolURL, c.EnrolURL)
	return c
}

func or(f, def func() time.Time) func() time.Time {
	if f != nil {
		return f
	}
	return def
}

// deskURL is the self-help desk's public address beside the enrol page's
// (the same scheme and host), for the links of the desk's notices.
func deskURL(enrolURL string) string {
	u, err := url.Parse(enrolURL)
	if err != nil || u.Host == "" {
		return web.HelpdeskPrefix
	}
	u.Path, u.RawQuery, u.Fragment = web.HelpdeskPrefix, "", ""
	return u.String()
}
