package cli

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/softtoken/softtoken/server/metrics"
)

// The metrics listener's limits: a scraper asks often and quickly, so
// slow or idle connections are cut as the pages' are (server.Timeouts),
// and a shutdown waits a few seconds for a scrape under way.
const (
	metricsHeaderTimeout = 10 * time.Second
	metricsTimeout       = 30 * time.Second
	metricsIdleTimeout   = 2 * time.Minute
	metricsShutdown      = 5 * time.Second
)

// startMetrics serves the metrics at /metrics on a listener of their own
// at addr (--metrics-listen), never on the public one: they hold no
// secret, but tell how busy the server is and how many logins fail, which
// is for the operators' scraper only. An empty addr serves nothing and
// returns nil metrics (nothing is counted). stop shuts the listener down.
func startMetrics(env Env, addr string) (m *metrics.Metrics, stop func(), err error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m = metrics.New(reg)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(reg))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: metricsHeaderTimeout, ReadTimeout: metricsTimeout,
		WriteTimeout: metricsTimeout, IdleTimeout: metricsIdleTimeout}
	env.Logger.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	if env.MetricsListening != nil {
		env.MetricsListening(ln.Addr().String())
	}
	return m, serveAside(env, "metrics", srv, ln, "", "", metricsShutdown), nil
}
