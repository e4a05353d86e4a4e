package retry

import (
	"context"
	"time"
)

// Send wraps a function that sends a message of type M: a failed send is
// tried again, attempts times in all, waiting wait and then twice as long
// each time (see Do).
func Send[M any](send func(context.Context, M) error, attempts int, wait time.Duration) func(context.Context, M) error {
	return func(ctx context.Context, m M) error {
		return Do(ctx, attempts, wait, func() error { return send(ctx, m) })
	}
}
