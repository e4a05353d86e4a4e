package ws

import (
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/wire"
)

// held adds to resp, the refusal err of a user held by another session
// ("user already logged in", a result clients match and which stays as
// it is), what the user may do: a message in words and, when the hold
// ends by itself, retry_after, the seconds until then, for a client or a
// portal that words it in its user's language and time zone. Other
// errors leave resp as it is.
func (p peer) held(resp wire.Response, err error) wire.Response {
	var h *account.HeldError
	if !errors.As(err, &h) {
		return resp
	}
	if h.Open {
		resp.Message = "another session of this user is open: log out of it first, then log in with the next passcode"
		return resp
	}
	left := max(h.Until.Sub(p.h.cfg.Now()), time.Second)
	resp.RetryAfter = int64((left + time.Second - 1) / time.Second)
	resp.Message = fmt.Sprintf("another session of this user ended without a logout: try again after %s UTC, %s (%s), with the next passcode",
		h.Until.UTC().Format("15:04:05"), inMinutes(left), h.Until.UTC().Format(time.RFC3339))
	return resp
}

// inMinutes says in words when something left from now happens, to the
// minute above: "in 1 minute", "in 4 minutes".
func inMinutes(left time.Duration) string {
	n := int((left + time.Minute - 1) / time.Minute)
	if n <= 1 {
		return "in 1 minute"
	}
	return fmt.Sprintf("in %d minutes", n)
}
