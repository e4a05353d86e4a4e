package ws

import "time"

// The defaults of Config's timeouts and code tries, which a zero field
// takes (Config.withDefaults) and serve's flags show: the protocol seed's
// 30 s to log in, and the time people need to type a code or answers.
const (
	DefaultLoginTimeout    = 30 * time.Second
	DefaultSMSLoginTimeout = 3 * time.Minute
	DefaultIdleTimeout     = 2 * time.Minute
	DefaultEnrolTimeout    = 5 * time.Minute
	DefaultMaxCodeTries    = 3
)
