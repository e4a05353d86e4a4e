package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/radius"
	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/server/web"
	"github.com/softtoken/softtoken/server/ws"
)

// ServeConfig is what `serve` runs with, from flags and the environment.
type ServeConfig struct {
	Listen          string
	TLSCert, TLSKey string
	KeyBits         int
	KeyRotation     time.Duration
	// EnrolURL is the enrol page's public address, for One Swipe codes.
	EnrolURL string
	// MaxTempDays bounds temporary passcodes from the self-help desk.
	MaxTempDays int
	Rules       account.Config
	WS          ws.Config
	HTTP        server.Timeouts
	// OutboxKeep is how long mails and text messages stay in the outbox
	// folders (0: for ever).
	OutboxKeep time.Duration
	// Proxies and Web: see netFlags.
	Proxies request.Proxies
	Web     web.Limits
	// HashMemoryMiB, HashWait and HashConcurrency make the password
	// hashing pool (account.Config.Hashing).
	HashMemoryMiB   int64
	HashWait        time.Duration
	HashConcurrency int
	// MetricsListen is where /metrics is served ("": nowhere).
	MetricsListen string
	// AdminListen is where the operators' console and the admin API are
	// served ("": nowhere; never on Listen).
	AdminListen string
}

// The defaults of serve's own settings. Every other flag shows the
// default of the package that owns the setting (account, ws, web,
// server, challenge, password), where a zero field of its config means
// that default too.
const (
	defaultListen     = "127.0.0.1:8443"
	defaultOutboxKeep = 7 * 24 * time.Hour
)

// define defines serve's own flags.
func (sc *ServeConfig) define(env Env, fs *flag.FlagSet) {
	fs.IntVar(&sc.MaxTempDays, "temp-passcode-max-days", web.DefaultMaxTempDays, "the longest a temporary passcode from the self-help desk may last")
	fs.DurationVar(&sc.Rules.CoolingOff, "desk-cooling-off", account.DefaultCoolingOff,
		"how long a token or number set up with what the self-help desk gave waits for the user's confirmation by mail before it takes over")
	fs.StringVar(&sc.Listen, "listen", or(env.Getenv("SOFTTOKEN_LISTEN"), defaultListen), "address to listen on (SOFTTOKEN_LISTEN)")
	fs.StringVar(&sc.TLSCert, "tls-cert", env.Getenv("SOFTTOKEN_TLS_CERT"), "TLS certificate file (SOFTTOKEN_TLS_CERT)")
	fs.StringVar(&sc.TLSKey, "tls-key", env.Getenv("SOFTTOKEN_TLS_KEY"), "TLS key file (SOFTTOKEN_TLS_KEY)")
	fs.StringVar(&sc.EnrolURL, "enrol-url", env.Getenv("SOFTTOKEN_ENROL_URL"), "public address of the enrol page (SOFTTOKEN_ENROL_URL; default from --listen)")
	fs.IntVar(&sc.KeyBits, "rsa-bits", challenge.DefaultKeyBits, "size of the challenge RSA keys")
	fs.DurationVar(&sc.KeyRotation, "key-rotation", challenge.DefaultKeyRotation, "how often the challenge key is replaced")
	fs.IntVar(&sc.Rules.Window, "window", account.DefaultWindow, "passcode window in time steps either side")
	fs.IntVar(&sc.Rules.MaxFailures, "max-failures", account.DefaultMaxFailures, "consecutive wrong passcodes or answers that lock a user")
	fs.DurationVar(&sc.Rules.LockFor, "lock-for", account.DefaultLockFor, "how long a lockout lasts")
	fs.DurationVar(&sc.Rules.SMSCodeTTL, "sms-code-ttl", account.DefaultSMSCodeTTL, "how long a passcode sent by SMS works")
	fs.DurationVar(&sc.Rules.SessionHold, "session-hold", account.DefaultSessionHold, "how long a user's access blocks a second one")
	fs.Var(negated{&sc.Rules.PasswordOnly}, "require-2fa", "every login needs a second factor, but a service account's; =false lets users without a token in with their password alone, and is audited at every start")
	fs.BoolVar(&sc.WS.VerifyHoldsSession, "verify-holds-session", false, "a portal's verifylogin holds the user as a websocket login does")
	fs.DurationVar(&sc.HTTP.ReadHeader, "http-read-header-timeout", server.DefaultTimeouts.ReadHeader, "time a client has to send a request's headers")
	fs.DurationVar(&sc.HTTP.Read, "http-read-timeout", server.DefaultTimeouts.Read, "time a client has to send a whole request")
	fs.DurationVar(&sc.HTTP.Write, "http-write-timeout", server.DefaultTimeouts.Write, "time the server has to send an answer")
	fs.DurationVar(&sc.HTTP.Idle, "http-idle-timeout", server.DefaultTimeouts.Idle, "time a kept-alive connection may wait for its next request")
	fs.DurationVar(&sc.WS.LoginTimeout, "login-timeout", ws.DefaultLoginTimeout, "time a socket has to log in")
	fs.DurationVar(&sc.WS.SMSLoginTimeout, "sms-login-timeout", ws.DefaultSMSLoginTimeout, "time an SMS user has to send the code, from the moment it was sent")
	fs.StringVar(&sc.MetricsListen, "metrics-listen", env.Getenv("SOFTTOKEN_METRICS_LISTEN"), "address of a listener of its own for /metrics in the Prometheus format, e.g. 127.0.0.1:9464 (SOFTTOKEN_METRICS_LISTEN; default: none)")
	fs.StringVar(&sc.AdminListen, "admin-listen", env.Getenv("SOFTTOKEN_ADMIN_LISTEN"), "address of a listener of its own for the operators' console (/admin/) and the admin API (/api/v1/), "+
		"e.g. 127.0.0.1:8444; with TLS when --tls-cert is given, plain HTTP only on loopback (SOFTTOKEN_ADMIN_LISTEN; default: none)")
	fs.DurationVar(&sc.OutboxKeep, "outbox-keep", defaultOutboxKeep, "how long mails and text messages stay in the outbox folders (they hold passcodes; 0: for ever)")
	sc.defineLimits(fs)
}

// defineLimits defines the flags that bound what strangers' requests cost
// (docs/web.md and docs/protocol.md, "Limits").
func (sc *ServeConfig) defineLimits(fs *flag.FlagSet) {
	fs.Int64Var(&sc.HashMemoryMiB, "hash-memory", password.DefaultBudget()>>20, "MiB that password hashing may take at once (each argon2id check counts 38 MiB: its 19 MiB and the garbage collector's slack; the default is an eighth of this machine's memory)")
	fs.DurationVar(&sc.HashWait, "hash-wait", password.DefaultWait, "time a password check waits for hashing memory before the answer is \"server busy\"")
	fs.IntVar(&sc.HashConcurrency, "hash-concurrency", 0, "argon2id checks that run at once; the others wait their turn, holding their hashing memory (0: one per core, GOMAXPROCS)")
	def := web.DefaultLimits
	fs.Int64Var(&sc.Web.FrameMaxBytes, "frame-max-bytes", def.FrameMaxBytes, "largest camera frame the One Swipe reader takes, in bytes")
	fs.Int64Var(&sc.Web.FrameMaxPixels, "frame-max-pixels", def.FrameMaxPixels, "most pixels (width × height) a camera frame may declare")
	fs.IntVar(&sc.Web.FrameDecodes, "frame-decodes", def.FrameDecodes, "camera frames decoded at once; more are answered 503 at once")
	fs.IntVar(&sc.Web.MaxSessions, "max-web-sessions", def.MaxSessions, "open sessions of each web site (enrol site, self-help desk); "+
		"when full, a new one takes the place of the oldest of the busiest client address, not signed in first")
	fs.IntVar(&sc.Web.MaxSessionsPerAddr, "max-web-sessions-per-addr", def.MaxSessionsPerAddr, "open sessions of each web site from one client address "+
		"(behind a NAT: the users who may use a site within 10 minutes); over it, a new one takes the place of the address's oldest not signed in")
	fs.IntVar(&sc.WS.MaxSockets, "max-sockets", ws.DefaultMaxSockets, "open websockets; more are refused with HTTP 503")
	fs.IntVar(&sc.WS.MaxPendingLogins, "max-pending-logins", ws.DefaultMaxPendingLogins, "open websockets not logged in yet (enrolments included); "+
		"when full, a new one takes the place of the oldest idle one of the busiest client address")
	fs.IntVar(&sc.WS.MaxPendingPerAddr, "max-pending-per-addr", ws.DefaultMaxPendingPerAddr, "open websockets not logged in yet from one client address "+
		"(behind a NAT: the traders who may log in at once); more are refused with HTTP 429")
}

// serveFlags are everything `serve` reads from its flags and the
// environment.
type serveFlags struct {
	c  common
	sc ServeConfig
	sf smsFlags
	mf mailFlags
	nf netFlags
	rf radiusFlags
	lf ldapFlags
	// radiusClients are the clients file's, once checked.
	radiusClients radius.Clients
}

// parse defines the flags, parses args and checks what they say together.
func (f *serveFlags) parse(env Env, args []string) error {
	fs := newFlags(env, "serve", &f.c)
	f.sf.define(env, fs)
	f.mf.defineTransport(env, fs)
	f.sc.define(env, fs)
	f.nf.define(env, fs)
	f.rf.define(env, fs)
	f.lf.define(env, fs, true)
	if _, err := parse(fs, args, 0); err != nil {
		return err // --help too: Run prints the flags with their defaults
	}
	if err := f.nf.apply(env, &f.sc); err != nil {
		return err
	}
	if err := checkListen(f.sc.Listen, f.sc.TLSCert != "" || f.sc.TLSKey != ""); err != nil {
		return err
	}
	if f.sc.AdminListen != "" {
		if err := checkListen(f.sc.AdminListen, f.sc.TLSCert != "" || f.sc.TLSKey != ""); err != nil {
			return fmt.Errorf("--admin-listen: %w", err)
		}
		if f.sc.AdminListen == f.sc.Listen && !strings.HasSuffix(f.sc.Listen, ":0") {
			return usagef("serve: --admin-listen must be another address than --listen: the console is never on the public listener")
		}
	}
	if (f.sc.TLSCert == "") != (f.sc.TLSKey == "") {
		return usagef("serve: give both --tls-cert and --tls-key")
	}
	var err error
	f.radiusClients, err = f.rf.check()
	return err
}

// connectRules gives the rules their SMS sender, mailer, directory and
// password hashing pool, and says where the texts and mails go (for the log).
func (f *serveFlags) connectRules(env Env) (smsTo, mailTo string, err error) {
	smsTo, err = f.sf.rules(env, f.c.dataDir(), &f.sc.Rules)
	if err != nil {
		return "", "", err
	}
	if f.sc.Rules.Directory, err = f.lf.directory(); err != nil {
		return "", "", err
	}
	mailer, mailTo := f.mf.mailer(env, f.c.dataDir())
	f.sc.Rules.Mail, f.sc.Rules.MailFrom = mailer, f.mf.from
	f.sc.Rules.Hashing = password.NewPoolOf(f.sc.HashMemoryMiB<<20, f.sc.HashWait, f.sc.HashConcurrency)
	return smsTo, mailTo, nil
}

// serverConfig is the server's configuration from the flags, with keys
// and counted (nil: nothing is counted); the enrol page's address
// defaults to one on --listen.
func (f *serveFlags) serverConfig(env Env, keys *challenge.Keys, counted *metrics.Metrics) server.Config {
	sc := &f.sc
	if sc.EnrolURL == "" {
		sc.EnrolURL = map[bool]string{true: "https://", false: "http://"}[sc.TLSCert != ""] + sc.Listen + web.Prefix
	}
	return server.Config{Keys: keys, Rules: sc.Rules, WS: sc.WS, EnrolURL: sc.EnrolURL, Metrics: counted,
		Proxies: sc.Proxies, Web: sc.Web, MaxTempDays: sc.MaxTempDays, HTTP: sc.HTTP, Logger: env.Logger, Now: env.Now}
}

// outboxes are the folders the mails and texts are written to, and how
// long they stay.
func (f *serveFlags) outboxes() outboxes {
	return outboxes{dirs: []string{f.sf.outboxDir(f.c.dataDir()), f.mf.outboxDir(f.c.dataDir())}, keep: f.sc.OutboxKeep}
}

// serve runs the server until ctx ends: the flags, the services the rules
// use, the handler on the database, then the listener with the
// housekeeping beside it.
func serve(ctx context.Context, env Env, args []string) error {
	var f serveFlags
	if err := f.parse(env, args); err != nil {
		return err
	}
	smsTo, mailTo, err := f.connectRules(env)
	if err != nil {
		return err
	}
	storage, err := f.c.storage(env)
	if err != nil {
		return err
	}
	keys, err := challenge.NewKeys(f.sc.KeyBits, f.sc.KeyRotation, env.Now)
	if err != nil {
		return err
	}
	counted, stopMetrics, err := startMetrics(env, f.sc.MetricsListen)
	if err != nil {
		return err
	}
	defer stopMetrics()
	handler, closeDB, err := server.Open(ctx, storage, f.serverConfig(env, keys, counted))
	if err != nil {
		return err
	}
	defer closeDB()
	if err := handler.Accounts.Started(ctx, account.Admin); err != nil {
		return fmt.Errorf("record the policies: %w", err)
	}
	logAuditHead(ctx, env, handler.Accounts)
	ln, err := net.Listen("tcp", f.sc.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.sc.Listen, err)
	}
	srv := &http.Server{}
	handler.Serve(srv)
	stopAdmin, err := startAdmin(env, handler, f.sc)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopAdmin()
	stopRADIUS, err := startRADIUS(ctx, env, f.rf, f.radiusClients, handler.Accounts, counted)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopRADIUS()
	defer startDirectorySync(ctx, env, handler.Accounts, f.sc.Rules.Directory, f.lf.every)()
	stopHousekeeping := startHousekeeping(ctx, env, handler.Accounts, keys, f.outboxes())
	err = listenAndServe(ctx, env, srv, ln, f.sc, "db", f.c.dbName(), "sms", smsTo, "mail", mailTo)
	stopHousekeeping()
	return err
}

// startHousekeeping runs housekeeping until the function it returns is
// called, which waits for it to end: it must not use the database after
// serve closes it, nor log after the caller has read the log.
func startHousekeeping(ctx context.Context, env Env, accounts *account.Service, keys *challenge.Keys, ob outboxes) (stop func()) {
	hkCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		housekeeping(hkCtx, env, accounts, keys, ob)
	}()
	return func() {
		cancel()
		<-done
	}
}

// listenAndServe serves srv on ln (with TLS if sc says so), logs that it
// does with the fields given, and shuts down gracefully when ctx ends.
func listenAndServe(ctx context.Context, env Env, srv *http.Server, ln net.Listener, sc ServeConfig, fields ...any) error {
	errc := make(chan error, 1)
	scheme := "http"
	go func() {
		if sc.TLSCert != "" {
			errc <- srv.ServeTLS(ln, sc.TLSCert, sc.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	if sc.TLSCert != "" {
		scheme = "https"
	}
	env.Logger.Info("serving", append([]any{"url", scheme + "://" + ln.Addr().String()}, fields...)...)
	if env.Listening != nil {
		env.Listening(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	env.Logger.Info("shutting down: finishing requests in flight")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// housekeeping runs every minute while serving: it rotates the challenge
// key when due, disables users who did not enrol within 30 days of their
// welcome mail (guide, section 4.2), and prunes the outbox folders.
func housekeeping(ctx context.Context, env Env, accounts *account.Service, keys *challenge.Keys, ob outboxes) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for i := 0; ; i++ {
		if i > 0 && i%60 == 0 {
			logAuditHead(ctx, env, accounts) // every hour; serve logged it at start
		}
		ob.prune(env)
		if ids, err := accounts.DisableUnenrolled(ctx); err != nil {
			if ctx.Err() != nil {
				return // serve is stopping
			}
			env.Logger.Error("disable unenrolled users", "err", err)
		} else {
			for _, id := range ids {
				env.Logger.Info("disabled: not enrolled within 30 days", "userid", id)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := keys.RotateIfDue(); err != nil {
				env.Logger.Error("rotate challenge key", "err", err)
			}
		}
	}
}

// logAuditHead logs the audit chain's head: shipped off the machine with
// the log, it is the witness that `audit verify --expect` checks the
// chain against, which alone shows an audit cut back or restored from an
// older copy (docs/audit.md).
func logAuditHead(ctx context.Context, env Env, accounts *account.Service) {
	h, err := accounts.AuditHead(ctx)
	if err != nil {
		env.Logger.Error("read the audit chain's head", "err", err)
		return
	}
	env.Logger.Info("audit head", "witness", fmt.Sprintf("%d:%x", h.Seq, h.Hash))
}

// checkListen refuses plain HTTP anywhere but on loopback: passwords
// travel RSA-encrypted, but passcodes, seeds and session traffic do not.
func checkListen(addr string, tls bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("serve: --listen %q is not host:port", addr)
	}
	if tls || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("refusing to serve plain HTTP on %q: that is reachable from other machines; "+
		"give --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS proxy", addr)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// negated is a boolean flag that sets the opposite of its value, so that
// a safe default can be the zero value of the field behind it: the flag
// --require-2fa (default true) sets account.Config.PasswordOnly.
type negated struct{ off *bool }

func (n negated) String() string {
	if n.off == nil {
		return "false"
	}
	return strconv.FormatBool(!*n.off)
}

func (n negated) Set(v string) error {
	on, err := strconv.ParseBool(v)
	if err != nil {
		return err
	}
	*n.off = !on
	return nil
}

// IsBoolFlag lets the flag be given without a value.
func (n negated) IsBoolFlag() bool { return true }
