package store

import "errors"

// ErrUnavailable wraps a failure to reach the database at all (it is
// stopped, restarting, failing over, or the network to it is down), as
// the store's dialect tells it apart from every other failure
// (sqlstore.Dialect.Unavailable, and a transaction the store's own
// timeout ended): the rules answer it as an outage, not as a fault of
// the server. A transaction that fails so was not committed, or, when the
// database went away during COMMIT, may have been: never acknowledged
// either way.
var ErrUnavailable = errors.New("the database cannot be reached")
