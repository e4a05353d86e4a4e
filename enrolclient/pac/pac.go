// Package pac runs proxy auto-configuration (PAC) scripts, the JavaScript
// files that managed PCs find their proxy with (Windows' AutoConfigURL,
// often served by WPAD): Fetch gets one (http, https or file URL, at most
// MaxScriptBytes, within a time limit), Compile checks it, and
// Script.FindProxy runs its FindProxyForURL for a URL with the standard
// PAC functions (isPlainHostName, dnsDomainIs, shExpMatch, isInNet,
// myIpAddress, weekdayRange, …) in goja, a pure-Go JavaScript engine,
// interrupted at RunTimeout. ParseResult reads the answer.
//
// A script comes from the PC's administrator, not from the network at
// large; still, each run has a fresh interpreter, a time limit, and a
// bounded answer. goja has no memory limit: a script that allocates
// without end within the time limit is not stopped before that.
package pac

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/dop251/goja"
)

// Limits of a script and of one run.
const (
	// MaxScriptBytes is the largest script accepted.
	MaxScriptBytes = 1 << 20
	// RunTimeout bounds one FindProxyForURL, name lookups included.
	RunTimeout = 3 * time.Second
)

// ErrScript wraps the errors of a script that cannot be compiled or run.
var ErrScript = errors.New("the automatic configuration script failed")

// Env is what the PAC functions ask of the PC; nil fields use the PC's
// own (its resolver, its first non-loopback address, its clock).
type Env struct {
	// LookupIP resolves a host name.
	LookupIP func(ctx context.Context, host string) ([]net.IP, error)
	// MyIP is this PC's address, for myIpAddress.
	MyIP func() string
	// Now is the clock of weekdayRange, dateRange and timeRange.
	Now func() time.Time
}

// Script is a compiled PAC script.
type Script struct {
	prog *goja.Program
	env  Env
}

// Compile checks src, a PAC script, and prepares it to run.
func Compile(src string, env Env) (*Script, error) {
	if len(src) > MaxScriptBytes {
		return nil, fmt.Errorf("%w: it is %d bytes long (at most %d)", ErrScript, len(src), MaxScriptBytes)
	}
	prog, err := goja.Compile("proxy.pac", src, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrScript, err)
	}
	if env.LookupIP == nil {
		env.LookupIP = func(ctx context.Context, host string) ([]net.IP, error) {
			return net.DefaultResolver.LookupIP(ctx, "ip", host)
		}
	}
	if env.MyIP == nil {
		env.MyIP = myAddress
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	return &Script{prog: prog, env: env}, nil
}

// FindProxy runs the script's FindProxyForURL(url, host) for u and
// returns its answer, unparsed (see ParseResult). The script sees
// scheme://host[:port]/ only, never u's path or query, as browsers do for
// https. The run ends at RunTimeout or when ctx ends.
func (s *Script) FindProxy(ctx context.Context, u *url.URL) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	vm := goja.New()
	stop := context.AfterFunc(ctx, func() { vm.Interrupt(ctx.Err()) })
	defer stop()
	if err := s.install(ctx, vm); err != nil {
		return "", fmt.Errorf("%w: %v", ErrScript, err)
	}
	if _, err := vm.RunProgram(s.prog); err != nil {
		return "", runErr(err)
	}
	find, ok := goja.AssertFunction(vm.Get("FindProxyForURL"))
	if !ok {
		return "", fmt.Errorf("%w: it has no function FindProxyForURL", ErrScript)
	}
	short := url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}
	v, err := find(goja.Undefined(), vm.ToValue(short.String()), vm.ToValue(u.Hostname()))
	if err != nil {
		return "", runErr(err)
	}
	if goja.IsUndefined(v) || goja.IsNull(v) {
		return "", nil
	}
	out := v.String()
	if len(out) > MaxResultBytes {
		return "", fmt.Errorf("%w: %d bytes long (at most %d)", ErrResult, len(out), MaxResultBytes)
	}
	return out, nil
}

// runErr words an error of the script's run.
func runErr(err error) error {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return fmt.Errorf("%w: it ran longer than %s", ErrScript, RunTimeout)
	}
	return fmt.Errorf("%w: %v", ErrScript, err)
}
