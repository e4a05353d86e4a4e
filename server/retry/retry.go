// Package retry repeats an action that may fail for a while (a mail or SMS
// gateway that is down for a moment), waiting longer each time.
package retry

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Do runs fn up to attempts times, waiting wait after the first failure
// and twice as long after each next one, and stops early when ctx ends.
// It returns nil at the first success, else the last error.
func Do(ctx context.Context, attempts int, wait time.Duration, fn func() error) error {
	attempts = max(1, attempts)
	var err error
	for i := 0; i < attempts; i++ {
		if err = fn(); err == nil {
			return nil
		}
		if i == attempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
	return fmt.Errorf("after %d attempts: %w", attempts, err)
}
