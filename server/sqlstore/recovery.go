package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/softtoken/softtoken/server/store"
)

// What a user recovers access with: security answers and SMS codes.

// SecurityAnswers returns the user's hashed answers.
func (t tx) SecurityAnswers(id int64) ([]store.SecurityAnswer, error) {
	rows, err := t.rows(`SELECT question_id, hash FROM security_answers WHERE user_id=? ORDER BY question_id`, id)
	if err != nil {
		return nil, fmt.Errorf("read security answers: %w", err)
	}
	defer rows.Close()
	var out []store.SecurityAnswer
	for rows.Next() {
		var a store.SecurityAnswer
		if err := rows.Scan(&a.QuestionID, &a.Hash); err != nil {
			return nil, fmt.Errorf("read security answers: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetSecurityAnswers replaces the user's answers; the user's row is
// locked first, so that two replacements do not interleave.
func (t tx) SetSecurityAnswers(id int64, answers []store.SecurityAnswer) error {
	if err := t.lockUser("set security answers", id); err != nil {
		return err
	}
	if _, err := t.run(`DELETE FROM security_answers WHERE user_id=?`, id); err != nil {
		return fmt.Errorf("set security answers: %w", err)
	}
	for _, a := range answers {
		if _, err := t.run(`INSERT INTO security_answers (user_id, question_id, hash) VALUES (?, ?, ?)`, id, a.QuestionID, a.Hash); err != nil {
			return fmt.Errorf("set security answers: %w", err)
		}
	}
	return nil
}

// SetSMSCode replaces the user's SMS code of its purpose.
func (t tx) SetSMSCode(id int64, c store.SMSCode) error {
	_, err := t.run(`INSERT INTO sms_codes (user_id, purpose, hash, phone, expires_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, purpose) DO UPDATE SET hash=excluded.hash, phone=excluded.phone, expires_at=excluded.expires_at`,
		id, c.Purpose, c.Hash, c.Phone, unix(c.Expires))
	if err != nil {
		return fmt.Errorf("set SMS code: %w", err)
	}
	return nil
}

// SMSCodeOf returns the user's SMS code of purpose.
func (t tx) SMSCodeOf(id int64, purpose string) (store.SMSCode, error) {
	c := store.SMSCode{Purpose: purpose}
	var exp int64
	err := t.row(`SELECT hash, phone, expires_at FROM sms_codes WHERE user_id=? AND purpose=?`, id, purpose).Scan(&c.Hash, &c.Phone, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return c, store.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("read SMS code: %w", err)
	}
	c.Expires = fromUnix(exp)
	return c, nil
}

// DeleteSMSCode uses up an SMS code; see store.Tx.
func (t tx) DeleteSMSCode(id int64, purpose, hash string) (bool, error) {
	return t.changed("use SMS code", `DELETE FROM sms_codes WHERE user_id=? AND purpose=? AND hash=?`, id, purpose, hash)
}

// DeleteSMSCodes deletes all the user's SMS codes.
func (t tx) DeleteSMSCodes(id int64) error {
	_, err := t.changed("delete SMS codes", `DELETE FROM sms_codes WHERE user_id=?`, id)
	return err
}
