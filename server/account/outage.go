package account

import (
	"context"
	"errors"
	"log/slog"

	"github.com/softtoken/softtoken/server/store"
)

// outages is the store as the rules use it: every transaction that fails
// because the database cannot be reached (store.ErrUnavailable, which the
// store's dialect decides) is the outcome ErrUnavailable, so that each
// adapter answers an outage in its own words (a protocol result, HTTP
// 503) instead of an internal error, from this one place. The driver's
// words, which name the database's host, user and name, go to the log
// here, and never to a client.
type outages struct {
	store.Store
	log *slog.Logger
}

// Update runs fn in one transaction (store.Store.Update).
func (o outages) Update(ctx context.Context, fn func(store.Tx) error) error {
	return o.unavailable(o.Store.Update(ctx, fn))
}

// View runs fn on the database (store.Store.View).
func (o outages) View(ctx context.Context, fn func(store.ReadTx) error) error {
	return o.unavailable(o.Store.View(ctx, fn))
}

// unavailable is err as an *outageError when it wraps
// store.ErrUnavailable (logged), and err otherwise.
func (o outages) unavailable(err error) error {
	if err == nil || !errors.Is(err, store.ErrUnavailable) || errors.Is(err, ErrUnavailable) {
		return err
	}
	o.log.Warn("the database cannot be reached: answered service unavailable", "err", err)
	return &outageError{err: err}
}

// outageError is the outcome ErrUnavailable for the store's err: it reads
// as ErrUnavailable alone, and errors.Is finds both.
type outageError struct{ err error }

func (e *outageError) Error() string   { return ErrUnavailable.Error() }
func (e *outageError) Unwrap() []error { return []error{ErrUnavailable, e.err} }
