package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/store"
)

// Rekey moves the store to a new master key in one transaction (the
// admin command `rekey`): it checks the audit's hash chain under the
// current key, re-seals every token seed under to, stores the new key's
// fingerprint (so that a node started with the old key refuses to), records the rekey in
// the audit, and links the whole chain again under chain (the audit key
// derived from the new master key), so that `audit verify` holds under
// the new key and no longer under the old. Either all of it commits or
// none of it does: a rekey that fails leaves the old key working.
//
// A chain that does not hold is refused, with its break: linking it again
// would bless whatever was changed. The re-linking moves every record's
// hash, so a head an auditor noted before the rekey is checked against a
// backup under the old key. It returns how many seeds it re-sealed.
func (s *Service) Rekey(ctx context.Context, o Origin, to *seal.Sealer, chain *auditchain.Chain) (int, error) {
	if s.cfg.AuditChain == nil {
		return 0, ErrNoAuditKey
	}
	var n int
	err := s.st.Update(ctx, func(tx store.Tx) error {
		sum, err := s.verifyChain(tx)
		if err != nil {
			return fmt.Errorf("the audit's hash chain does not hold under the current key, and a rekey would bless it: %w", err)
		}
		n, err = tx.ResealTokens(func(id int64, sealed []byte) ([]byte, error) {
			seed, err := s.sealer.Open(sealed, SeedBinding(id))
			if err != nil {
				return nil, fmt.Errorf("open the seed of user row %d under the current key: %w", id, err)
			}
			defer clear(seed)
			return to.Seal(seed, SeedBinding(id))
		})
		if err != nil {
			return err
		}
		if err := tx.SetMasterKey(to.Fingerprint()); err != nil {
			return err
		}
		detail := fmt.Sprintf("new master key: %d seeds re-sealed; the audit's %d records linked again under the new key", n, sum.Records+1)
		if err := tx.Audit(s.event(o, "", "rekey", CodeOK, detail)); err != nil {
			return err
		}
		return tx.RelinkAudit(func(e store.AuditEvent) []byte { return chain.Link(e.Prev, e) }, chain.Seal)
	})
	if err != nil {
		return 0, fmt.Errorf("rekey: %w", err)
	}
	return n, nil
}

// verifyChain checks the whole audit chain in rd under the current key.
func (s *Service) verifyChain(rd store.ReadTx, witnesses ...auditchain.Witness) (auditchain.Summary, error) {
	var v *auditchain.Verifier
	err := rd.WalkAudit(func(h store.AuditHead) error {
		v = s.cfg.AuditChain.Verifier(h)
		for _, w := range witnesses {
			v.Expect(w)
		}
		return nil
	}, func(e store.AuditEvent) error { return v.Add(e) })
	if errors.Is(err, store.ErrNotFound) {
		return auditchain.Summary{}, &auditchain.Break{What: "has no head: it was removed, and with it the proof of how long the chain was"}
	}
	if err != nil {
		return auditchain.Summary{}, err
	}
	return v.Finish()
}
