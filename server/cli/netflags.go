package cli

import (
	"flag"
	"strings"

	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/server/web"
	"github.com/softtoken/softtoken/server/ws"
)

// netFlags configure what is in front of the server: the reverse proxies
// whose forwarding headers are believed, and the limits per client
// address (docs/deploy.md, "Behind a proxy or NAT").
type netFlags struct {
	trusted, header string
	conns, chals    ratelimit.Rate
	web             web.Limits
}

func (f *netFlags) define(env Env, fs *flag.FlagSet) {
	fs.StringVar(&f.trusted, "trusted-proxy", env.Getenv("SOFTTOKEN_TRUSTED_PROXY"), "networks of the reverse proxies in front of the server, `CIDR,...` "+
		"(SOFTTOKEN_TRUSTED_PROXY; default none): only from them are the client's address and scheme taken from --proxy-header")
	fs.StringVar(&f.header, "proxy-header", or(env.Getenv("SOFTTOKEN_PROXY_HEADER"), request.HeaderXForwardedFor),
		"the header the trusted proxies set: x-forwarded-for (with X-Forwarded-Proto) or forwarded (SOFTTOKEN_PROXY_HEADER)")
	f.conns, f.chals, f.web = ws.DefaultConnections, ws.DefaultChallenges, web.DefaultLimits
	const per = " a minute per client address: `N[,B]`, B at once (N alone: all N at once)"
	fs.Var(&f.conns, "conn-rate", "new websockets"+per)
	fs.Var(&f.chals, "challenge-rate", "websocket challenges"+per)
	fs.Var(&f.web.Sessions, "session-rate", "new sessions on the enrol site and the self-help desk"+per)
	fs.Var(&f.web.SignIns, "signin-rate", "password attempts on the pages (also per user ID from one address)"+per)
	fs.Var(&f.web.Frames, "frame-rate", "One Swipe camera frames on the enrol site"+per)
}

// apply reads the flags into the server's configuration, and says in the
// log which proxies are believed.
func (f netFlags) apply(env Env, cfg *ServeConfig) error {
	if err := request.CheckHeader(f.header); err != nil {
		return usagef("serve: --proxy-header: %v", err)
	}
	trusted, err := request.ParseTrusted(f.trusted)
	if err != nil {
		return usagef("serve: --trusted-proxy: %v", err)
	}
	cfg.Proxies = request.Proxies{Trusted: trusted, Header: strings.ToLower(f.header)}
	if len(trusted) > 0 {
		env.Logger.Info("client addresses from trusted proxies", "proxies", f.trusted, "header", cfg.Proxies.Header)
	}
	cfg.WS.Connections, cfg.WS.Challenges, cfg.Web = f.conns, f.chals, f.web
	return nil
}
