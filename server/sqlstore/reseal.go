package sqlstore

import (
	"fmt"
)

// sealedSeed is one token's sealed seed and its user's row ID.
type sealedSeed struct {
	id     int64
	sealed []byte
}

// ResealTokens re-seals every token's seed, a batch at a time, changing
// only the sealed seed (see store.Tx.ResealTokens). Each batch's rows are
// locked as they are read (Dialect.RowLock), so that no enrolment on
// another node replaces a seed between its read and its re-sealing.
func (t tx) ResealTokens(reseal func(id int64, sealed []byte) ([]byte, error)) (int, error) {
	n := 0
	var after int64
	for {
		batch, err := t.seedsAfter(after)
		if err != nil || len(batch) == 0 {
			return n, err
		}
		for _, s := range batch {
			next, err := reseal(s.id, s.sealed)
			if err != nil {
				return n, err
			}
			if err := t.exec("re-seal a seed", `UPDATE tokens SET sealed_seed = ? WHERE user_id = ?`, next, s.id); err != nil {
				return n, err
			}
			after = s.id
			n++
		}
	}
}

// seedsAfter reads up to 500 sealed seeds of users whose row ID is after
// after, in order.
func (t tx) seedsAfter(after int64) ([]sealedSeed, error) {
	rows, err := t.rows(`SELECT user_id, sealed_seed FROM tokens WHERE user_id > ? ORDER BY user_id LIMIT 500`+t.d.RowLock, after)
	if err != nil {
		return nil, fmt.Errorf("read sealed seeds: %w", err)
	}
	defer rows.Close()
	var out []sealedSeed
	for rows.Next() {
		var s sealedSeed
		if err := rows.Scan(&s.id, &s.sealed); err != nil {
			return nil, fmt.Errorf("read sealed seeds: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
