package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// readyTimeout bounds a readiness check: a load balancer asks often, and a
// database that takes longer than this to answer is as good as down.
const readyTimeout = 2 * time.Second

// readiness answers /readyz: 200 "ready" when the store answers and its
// schema is the one this server runs (store.Store.Ready), else 503 with a
// short reason, so that a load balancer sends no user to a node that
// cannot serve them. /healthz, by contrast, says only that the process
// is up.
func readiness(st store.Store, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		w.Header().Set("Cache-Control", "no-store")
		if err := st.Ready(ctx); err != nil {
			// The reason in full goes to the log: the public answer names
			// no database user, name or address.
			log.Warn("not ready", "err", err)
			reason := "database unreachable"
			if errors.Is(err, store.ErrSchema) {
				reason = "database schema is not this server's version"
			}
			http.Error(w, "not ready: "+reason, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
}
