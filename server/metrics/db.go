package metrics

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus/collectors"
)

// RoundTrip counts a round trip to the database of kind (query, exec,
// prepare, begin, commit, rollback, ping: sqlstore.Counted's words).
func (m *Metrics) RoundTrip(kind string) {
	if m != nil {
		m.roundTrips.WithLabelValues(kind).Inc()
	}
}

// DB reports the connection pool of db, the server's database: the
// standard go_sql_* metrics of database/sql's statistics, among them
// go_sql_wait_count_total and go_sql_wait_duration_seconds_total, the
// requests that found every connection busy (--db-max-conns) and the
// time they waited.
func (m *Metrics) DB(db *sql.DB) {
	if m == nil || db == nil {
		return
	}
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, "softtoken"))
}

// WebSignIn counts a sign-in step of a web page: site ("enrol",
// "helpdesk"), step ("password", "passcode") and outcome, the rules'
// outcome code (account.Code: "ok", "invalid_login"…), which this
// package does not know.
func (m *Metrics) WebSignIn(site, step, outcome string) {
	if m != nil {
		m.webSignIns.WithLabelValues(site, step, outcome).Inc()
	}
}
