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
	var v *auditchain.Verifier
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		return tx.WalkAudit(func(h store.AuditHead) error {
			v = s.cfg.AuditChain.Verifier(h)
			return nil
		}, func(e store.AuditEvent) error { return v.Add(e) })
	})
	if errors.Is(err, store.ErrNotFound) {
		return auditchain.Summary{}, &auditchain.Break{What: "has no head: it was removed, and with it the proof of how long the chain was"}
	}
	if err != nil {
		return auditchain.Summary{}, err
	}
	return v.Finish()
}
