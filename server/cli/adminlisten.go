package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/softtoken/softtoken/server"
)

// adminShutdown is how long a shutdown waits for the operators' requests
// under way.
const adminShutdown = 10 * time.Second

// startAdmin serves the operators' side (server.Server.Admin: the console
// and the admin API) on a listener of its own at sc.AdminListen, with TLS
// when serve has a certificate, and the public listener's timeouts. With
// no address it serves nothing. stop shuts the listener down.
func startAdmin(env Env, handler *server.Server, sc ServeConfig) (stop func(), err error) {
	if sc.AdminListen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", sc.AdminListen)
	if err != nil {
		return nil, fmt.Errorf("admin: listen on %s: %w", sc.AdminListen, err)
	}
	srv := &http.Server{}
	handler.ServeAdmin(srv)
	scheme := map[bool]string{true: "https", false: "http"}[sc.TLSCert != ""]
	env.Logger.Info("serving the console and the admin API", "url", scheme+"://"+ln.Addr().String()+"/admin/")
	if env.AdminListening != nil {
		env.AdminListening(ln.Addr().String())
	}
	return serveAside(env, "admin", srv, ln, sc.TLSCert, sc.TLSKey, adminShutdown), nil
}

// serveAside serves srv on ln beside the public listener (with TLS when
// certFile is given), logging a failure as what's, and returns the
// function that shuts it down, waiting up to wait for requests under
// way.
func serveAside(env Env, what string, srv *http.Server, ln net.Listener, certFile, keyFile string, wait time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var err error
		if certFile != "" {
			err = srv.ServeTLS(ln, certFile, keyFile)
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			env.Logger.Error(what+" listener", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}
}
