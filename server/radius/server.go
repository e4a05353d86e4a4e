package radius

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"layeh.com/radius"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/ratelimit"
)

// Config is what the RADIUS door answers with. Its zero values take the
// Default… constants.
type Config struct {
	// Accounts is the rules service that decides.
	Accounts *account.Service
	// Clients are the clients answered; a request from any other address
	// is dropped.
	Clients Clients
	// OneStep takes a password whose last six characters are digits as
	// the password followed by the passcode, checked in one request
	// (--radius-one-step); otherwise a passcode is always asked for with
	// an Access-Challenge.
	OneStep bool
	// StateTTL is how long a challenge's State works (DefaultStateTTL).
	StateTTL time.Duration
	// ClientRate bounds the requests of each client, UserRate the logins
	// begun (passwords, not passcodes) for each user ID
	// (DefaultClientRate, DefaultUserRate).
	ClientRate, UserRate ratelimit.Rate
	Metrics              *metrics.Metrics
	Logger               *slog.Logger
	Now                  func() time.Time
}

// The defaults of Config.
var (
	// DefaultStateTTL: long enough to read a token or an SMS and type the
	// code, short enough that a captured State is soon worth nothing.
	DefaultStateTTL = 2 * time.Minute
	// DefaultClientRate: a VPN concentrator of a busy morning, with room.
	DefaultClientRate = ratelimit.Rate{PerMinute: 1200, Burst: 200}
	// DefaultUserRate: a person retrying, not a script; above the
	// lockout's ten, so that the lockout is what stops wrong passcodes.
	DefaultUserRate = ratelimit.Rate{PerMinute: 20, Burst: 15}
)

// Bounds of the tables kept in memory, and how long answers are kept for
// retransmissions (RFC 5080 suggests a few seconds; clients retransmit
// after 3 to 5).
const (
	maxStates     = 1 << 16
	maxAnswers    = 1 << 16
	keepAnswers   = 10 * time.Second
	maxConcurrent = 64
	// One-step requests are remembered for an hour, longer than a
	// lockout lasts by default, so that a replayed one never counts; at
	// the default client rate that is at most 72,000 a client.
	keepOneStep = time.Hour
	maxOneStep  = 1 << 18
	// oneStepDigits is how many trailing digits are the passcode of a
	// one-step request: a token's, and an SMS passcode's.
	oneStepDigits = account.SMSCodeDigits
)

// Server answers Access-Requests.
type Server struct {
	cfg        Config
	states     *states
	answers    *duplicates
	oneStep    *replays
	clientRate *ratelimit.Limiter
	userRate   *ratelimit.Limiter
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	cfg.StateTTL = cmp.Or(cfg.StateTTL, DefaultStateTTL)
	cfg.ClientRate = cmp.Or(cfg.ClientRate, DefaultClientRate)
	cfg.UserRate = cmp.Or(cfg.UserRate, DefaultUserRate)
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg, states: newStates(maxStates), answers: newDuplicates(keepAnswers, maxAnswers),
		oneStep:    newReplays(keepOneStep, maxOneStep),
		clientRate: ratelimit.New(cfg.ClientRate.PerMinute, cfg.ClientRate.Burst),
		userRate:   ratelimit.New(cfg.UserRate.PerMinute, cfg.UserRate.Burst)}
}

// Serve answers the requests that come to conn until ctx ends, then
// closes conn and waits for the requests under way. It returns nil after
// ctx ended, or the error that stopped the reading.
func (s *Server) Serve(ctx context.Context, conn net.PacketConn) error {
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, maxConcurrent)
	for {
		buf := make([]byte, radius.MaxPacketLength)
		n, addr, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				continue
			}
			return err
		}
		from := addrPort(addr)
		slots <- struct{}{} // a flood waits in the socket's buffer, then is lost there
		wg.Go(func() {
			defer func() { <-slots }()
			if out := s.Handle(ctx, buf[:n], from); out != nil {
				if _, err := conn.WriteTo(out, addr); err != nil && ctx.Err() == nil {
					s.cfg.Logger.Warn("radius: answer not sent", "to", from.String(), "err", err)
				}
			}
		})
	}
}

// addrPort is a UDP address as an AddrPort (the zero one for another
// kind, which no client matches).
func addrPort(a net.Addr) netip.AddrPort {
	if u, ok := a.(*net.UDPAddr); ok {
		return u.AddrPort()
	}
	return netip.AddrPort{}
}
