package store

// RekeyTx is what a rekey writes, in the one transaction of a Tx that
// moves the database to a new master key (account.Service.Rekey): the
// re-sealed seeds, the new key's fingerprint and the audit chain linked
// again, all of it or nothing.
type RekeyTx interface {
	// ResealTokens replaces every token's sealed seed with what reseal
	// returns for it (given its user's row ID and the sealed seed), and
	// changes nothing else of the token (its last step stays, so that no
	// code is accepted twice across a new master key). It returns how
	// many tokens it re-sealed; the first error of reseal stops it and is
	// returned as it is.
	ResealTokens(reseal func(id int64, sealed []byte) ([]byte, error)) (int, error)
	// SetMasterKey stores the fingerprint of the master key the seeds are
	// sealed under (seal.Sealer.Fingerprint), replacing the one stored:
	// a rekey does it in the transaction that re-seals the seeds, so that
	// the database and its fingerprint never disagree.
	SetMasterKey(fingerprint []byte) error
	// RelinkAudit links the whole audit chain again, for a new audit key:
	// from the genesis hash, it gives every record in sequence order,
	// with its Prev set to the hash before it, to link, stores the hash
	// link returns, and moves the chain's head to the last one (Began and
	// Earlier stay), sealed with seal (the new key's).
	RelinkAudit(link func(e AuditEvent) []byte, seal func(h AuditHead) []byte) error
}
