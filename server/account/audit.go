package account

import (
	"context"
	"errors"

	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/store"
)

// ErrNoAuditKey is a VerifyAudit without the chain's key.
var ErrNoAuditKey = errors.New("the audit cannot be verified without the master key")

// VerifyAudit checks the whole audit's hash chain as of one moment (the
// admin command `audit verify`): the first record changed, removed or
// inserted since it was written is named by the *auditchain.Break it
// returns, and so is a chain whose head is missing.
// Each witness (a record seen earlier, kept outside the database) must
// still be there with its hash.
func (s *Service) VerifyAudit(ctx context.Context, witnesses ...auditchain.Witness) (auditchain.Summary, error) {
	if s.cfg.AuditChain == nil {
		return auditchain.Summary{}, ErrNoAuditKey
	}
	var sum auditchain.Summary
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		sum, err = s.verifyChain(tx, witnesses...)
		return err
	})
	return sum, err
}

// AuditHead is the audit chain's head now: what `serve` logs every hour,
// as a witness kept outside the database (see VerifyAudit).
func (s *Service) AuditHead(ctx context.Context) (store.AuditHead, error) {
	var h store.AuditHead
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		h, err = tx.AuditHead()
		return err
	})
	return h, err
}
