package cli

import (
	"time"

	"github.com/softtoken/softtoken/server/outbox"
)

// outboxes are the folders serve's mails and text messages go to, and how
// long a message stays there (0: for ever).
type outboxes struct {
	dirs []string
	keep time.Duration
}

// prune removes the messages older than keep: they hold passcodes, which
// should not lie on disk for longer than anyone needs to pick them up.
func (o outboxes) prune(env Env) {
	if o.keep <= 0 {
		return
	}
	for _, dir := range o.dirs {
		if dir == "" {
			continue
		}
		n, err := outbox.Prune(dir, env.Now().Add(-o.keep))
		if err != nil {
			env.Logger.Error("prune the outbox", "dir", dir, "err", err)
		}
		if n > 0 {
			env.Logger.Info("pruned the outbox", "dir", dir, "removed", n, "older_than", o.keep.String())
		}
	}
}
