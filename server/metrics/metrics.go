// Package metrics defines the companion server's metrics for operators,
// in the Prometheus format (docs/deploy.md, "Health, readiness and
// metrics"): logins and verifications by their result and their latency,
// the password-hashing pool, open sockets and pending logins, the pages'
// sessions and sign-ins, what made room for newer ones, lockouts, the
// text messages and mails sent and failed, and the database's round trips
// and connection pool (db.go).
//
// Every metric is registered on the registry the caller gives (serve
// makes one; nothing here touches Prometheus' global default), and the
// adapters report at their single points: the websocket protocol where it
// answers a message (Login, Verification and Latency, labelled with the
// protocol's own words, which this package does not know), the rules
// where a lockout begins (Lockout), and the SMS and mail senders, wrapped
// once where the server is built. A nil *Metrics counts nothing, so that
// code paths without metrics (the admin commands, most tests) need no
// checks.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/sms"
)

// Metrics are the server's counters and histograms on one registry.
type Metrics struct {
	reg           prometheus.Registerer
	logins        *prometheus.CounterVec
	verifications *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	lockouts      prometheus.Counter
	sms, mail     *prometheus.CounterVec
	radius        *prometheus.CounterVec
	webSignIns    *prometheus.CounterVec
	roundTrips    *prometheus.CounterVec
}

// New defines the metrics on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reg: reg,
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "softtoken_logins_total",
			Help: "Websocket logins by result: the answer to login, unless it asks for a passcode (NEED2FA), and to send2fatoken."}, []string{"result"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "softtoken_verifications_total",
			Help: "verifylogin requests by result."}, []string{"result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "softtoken_request_duration_seconds",
			Help:    "Time to answer login, send2fatoken and verifylogin, password hashing included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"type"}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "softtoken_lockouts_total",
			Help: "Users locked by consecutive second-factor failures."}),
		sms: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "softtoken_sms_total",
			Help: "Text messages handed to the gateway (sent) or not (failed)."}, []string{"result"}),
		mail: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "softtoken_mail_total",
			Help: "Mails handed to the mail server or outbox (sent) or not (failed)."}, []string{"result"}),
		radius: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "softtoken_radius_requests_total",
			Help: "RADIUS requests by client (its name in --radius-clients, or unknown) and result: accept, challenge, reject, or why one was dropped."},
			[]string{"client", "result"}),
		webSignIns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "softtoken_web_signins_total",
			Help: "Sign-in steps of the web pages by site (enrol, helpdesk), step (password, passcode) and outcome (the rules' outcome code: ok, invalid_login…)."},
			[]string{"site", "step", "outcome"}),
		roundTrips: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "softtoken_db_round_trips_total",
			Help: "Calls to the database by kind: query, exec, prepare, begin, commit, rollback, ping."}, []string{"kind"}),
	}
	reg.MustRegister(m.logins, m.verifications, m.latency, m.lockouts, m.sms, m.mail, m.radius, m.webSignIns, m.roundTrips)
	return m
}

// Handler serves the metrics of g in the Prometheus text format.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// Login counts the outcome of a login, labelled with result: the
// adapter's own word for it (the websocket's protocol result). What
// counts as an outcome is the adapter's to say: a login that still owes a
// passcode is not one yet.
func (m *Metrics) Login(result string) {
	if m != nil {
		m.logins.WithLabelValues(result).Inc()
	}
}

// Verification counts the outcome of a back-end's verification of a
// user (verifylogin), labelled with result as Login is.
func (m *Metrics) Verification(result string) {
	if m != nil {
		m.verifications.WithLabelValues(result).Inc()
	}
}

// Latency records that a request of kind (the websocket's message type:
// login, send2fatoken, verifylogin) took took to answer, password hashing
// included.
func (m *Metrics) Latency(kind string, took time.Duration) {
	if m != nil {
		m.latency.WithLabelValues(kind).Observe(took.Seconds())
	}
}

// RADIUS counts a RADIUS request of client (a name of the clients file,
// or "unknown") by result, the RADIUS door's own word for it (an answer's
// kind, or why the request was dropped).
func (m *Metrics) RADIUS(client, result string) {
	if m != nil {
		m.radius.WithLabelValues(client, result).Inc()
	}
}

// Lockout counts a user locked by failures.
func (m *Metrics) Lockout() {
	if m != nil {
		m.lockouts.Inc()
	}
}

// counted is send, counting each message it sends in c as "sent" or
// "failed".
func counted[M any](c *prometheus.CounterVec, send func(context.Context, M) error) func(context.Context, M) error {
	return func(ctx context.Context, msg M) error {
		err := send(ctx, msg)
		result := "sent"
		if err != nil {
			result = "failed"
		}
		c.WithLabelValues(result).Inc()
		return err
	}
}

// SMS wraps s so that every message it sends is counted; nil stays nil
// (SMS switched off).
func (m *Metrics) SMS(s sms.Sender) sms.Sender {
	if m == nil || s == nil {
		return s
	}
	return sms.SenderFunc(counted(m.sms, s.Send))
}

// Mail wraps ml so that every mail it sends is counted; nil stays nil.
func (m *Metrics) Mail(ml mail.Mailer) mail.Mailer {
	if m == nil || ml == nil {
		return ml
	}
	return mail.MailerFunc(counted(m.mail, ml.Send))
}

// Hashing reports the password-hashing pool: its budget and the memory
// in use, the callers waiting for room, and the "server busy" answers.
func (m *Metrics) Hashing(p *password.Pool) {
	if m == nil || p == nil {
		return
	}
	gauge := func(name, help string, f func(password.Stats) int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(f(p.Stats())) })
	}
	m.reg.MustRegister(
		gauge("softtoken_hashing_budget_bytes", "Memory that password hashing may take at once (--hash-memory).",
			func(s password.Stats) int64 { return s.Budget }),
		gauge("softtoken_hashing_in_use_bytes", "Memory that password hashes and checks hold now.",
			func(s password.Stats) int64 { return s.InUse }),
		gauge("softtoken_hashing_waiting", "Password checks waiting for hashing memory.",
			func(s password.Stats) int64 { return s.Waiting }),
		gauge("softtoken_hashing_running", "Argon2id computations running now (at most --hash-concurrency).",
			func(s password.Stats) int64 { return s.Running }),
		gauge("softtoken_hashing_queued", "Password checks holding hashing memory and waiting their turn to run (--hash-concurrency).",
			func(s password.Stats) int64 { return s.Queued }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "softtoken_hashing_busy_total",
			Help: "Password checks answered \"server busy\" after waiting --hash-wait."}, func() float64 { return float64(p.Stats().Busy) }),
	)
}

// Sockets reports the open websockets and those not logged in yet, as
// counted reports them.
func (m *Metrics) Sockets(counted func() (open, pending int64)) {
	if m == nil {
		return
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "softtoken_sockets_open", Help: "Open websockets (--max-sockets)."},
			func() float64 { o, _ := counted(); return float64(o) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "softtoken_sockets_pending",
			Help: "Open websockets not logged in yet, enrolments included (--max-pending-logins)."},
			func() float64 { _, p := counted(); return float64(p) }),
	)
}

// Evictions reports how many entries of each table of strangers made
// room for newer ones (package fair): tables maps a table's name
// ("websocket", "enrol", "helpdesk") to its count.
func (m *Metrics) Evictions(tables map[string]func() uint64) {
	if m == nil {
		return
	}
	for name, count := range tables {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "softtoken_evictions_total",
			Help:        "Websockets not logged in yet (--max-pending-logins) or web sessions (--max-web-sessions) ended to make room for newer ones.",
			ConstLabels: prometheus.Labels{"table": name}},
			func() float64 { return float64(count()) }))
	}
}

// WebSessions reports the sessions each web site holds in memory: sites
// maps a site's name ("enrol", "helpdesk") to its count.
func (m *Metrics) WebSessions(sites map[string]func() int) {
	if m == nil {
		return
	}
	for name, count := range sites {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "softtoken_web_sessions",
			Help: "Sessions a web site holds in memory (--max-web-sessions each).", ConstLabels: prometheus.Labels{"site": name}},
			func() float64 { return float64(count()) }))
	}
}
