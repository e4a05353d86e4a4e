package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strconv"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/radius"
)

// radiusFlags are serve's flags of the RADIUS door (docs/radius.md).
type radiusFlags struct {
	listen, clients string
	oneStep         bool
}

// define defines them.
func (r *radiusFlags) define(env Env, fs *flag.FlagSet) {
	fs.StringVar(&r.listen, "radius-listen", env.Getenv("SOFTTOKEN_RADIUS_LISTEN"), "UDP address of the RADIUS door for VPNs, gateways and firewalls, "+
		"e.g. 0.0.0.0:1812; needs --radius-clients (SOFTTOKEN_RADIUS_LISTEN; default: none)")
	fs.StringVar(&r.clients, "radius-clients", env.Getenv("SOFTTOKEN_RADIUS_CLIENTS"), "file of the RADIUS clients answered, one a line: "+
		"address or CIDR, shared secret, name; readable by its owner only (SOFTTOKEN_RADIUS_CLIENTS)")
	fs.BoolVar(&r.oneStep, "radius-one-step", envBool(env, "SOFTTOKEN_RADIUS_ONE_STEP"), "a RADIUS password ending in six digits is the password and the passcode, "+
		"checked in one request, without a challenge (SOFTTOKEN_RADIUS_ONE_STEP)")
}

// envBool is the environment variable name read as a flag's boolean
// (false when unset or not one).
func envBool(env Env, name string) bool {
	b, _ := strconv.ParseBool(env.Getenv(name))
	return b
}

// check refuses flags that make no sense together, and loads the
// clients file, so that serve fails before it opens anything.
func (r *radiusFlags) check() (radius.Clients, error) {
	switch {
	case r.listen == "" && (r.clients != "" || r.oneStep):
		return nil, usagef("serve: --radius-clients and --radius-one-step need --radius-listen")
	case r.listen == "":
		return nil, nil
	case r.clients == "":
		return nil, usagef("serve: --radius-listen needs --radius-clients: the clients it answers and their secrets")
	}
	if _, _, err := net.SplitHostPort(r.listen); err != nil {
		return nil, usagef("serve: --radius-listen %q is not host:port", r.listen)
	}
	return radius.LoadClients(r.clients)
}

// startRADIUS serves the RADIUS door at --radius-listen for clients until
// ctx ends or the function it returns is called, which waits for the
// requests under way. With no address it serves nothing.
func startRADIUS(ctx context.Context, env Env, r radiusFlags, clients radius.Clients, accounts *account.Service, counted *metrics.Metrics) (stop func(), err error) {
	if r.listen == "" {
		return func() {}, nil
	}
	conn, err := net.ListenPacket("udp", r.listen)
	if err != nil {
		return nil, fmt.Errorf("radius: listen on %s: %w", r.listen, err)
	}
	door := radius.New(radius.Config{Accounts: accounts, Clients: clients, OneStep: r.oneStep, Metrics: counted, Logger: env.Logger, Now: env.Now})
	env.Logger.Info("serving RADIUS", "addr", conn.LocalAddr().String(), "clients", len(clients), "one_step", r.oneStep)
	if env.RADIUSListening != nil {
		env.RADIUSListening(conn.LocalAddr().String())
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := door.Serve(ctx, conn); err != nil {
			env.Logger.Error("radius listener", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}, nil
}
