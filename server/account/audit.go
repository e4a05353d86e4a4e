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
func (s *Service) VerifyAudit(ctx context.Context) (auditchain.Summary, error) {
	if s.cfg.AuditChain == nil {
		return auditchain.Summary{}, ErrNoAuditKey
	}
	var sum auditchain.Summary
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		sum, err = s.verifyChain(tx)
		return err
	})
	return sum, err
}
