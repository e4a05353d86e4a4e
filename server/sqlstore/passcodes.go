package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// The one-time secrets that let a user in without a token: initial
// passcodes, temporary passcodes and One Swipe enrolment codes.

// SetInitialPasscode replaces the user's initial passcode.
func (t tx) SetInitialPasscode(id int64, p store.InitialPasscode) error {
	_, err := t.run(`INSERT INTO initial_passcodes (user_id, hash, expires_at, used) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET hash=excluded.hash, expires_at=excluded.expires_at, used=excluded.used`,
		id, p.Hash, unix(p.Expires), p.Used)
	if err != nil {
		return fmt.Errorf("set initial passcode: %w", err)
	}
	return nil
}

// InitialPasscodeOf returns the user's initial passcode, or ErrNotFound.
func (t tx) InitialPasscodeOf(id int64) (store.InitialPasscode, error) {
	var p store.InitialPasscode
	var exp int64
	err := t.row(`SELECT hash, expires_at, used FROM initial_passcodes WHERE user_id=?`, id).Scan(&p.Hash, &exp, &p.Used)
	if errors.Is(err, sql.ErrNoRows) {
		return p, store.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("read initial passcode: %w", err)
	}
	p.Expires = fromUnix(exp)
	return p, nil
}

// UseInitialPasscode marks it used, once.
func (t tx) UseInitialPasscode(id int64) (bool, error) {
	return t.changed("use initial passcode", `UPDATE initial_passcodes SET used=TRUE WHERE user_id=? AND used=FALSE`, id)
}

// SetTempPasscode replaces the user's temporary passcode.
func (t tx) SetTempPasscode(id int64, p store.TempPasscode) error {
	_, err := t.run(`INSERT INTO temp_passcodes (user_id, hash, issued_at, expires_at, revoked) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET hash=excluded.hash, issued_at=excluded.issued_at, expires_at=excluded.expires_at, revoked=excluded.revoked`,
		id, p.Hash, unix(p.Issued), unix(p.Expires), p.Revoked)
	if err != nil {
		return fmt.Errorf("set temporary passcode: %w", err)
	}
	return nil
}

// RevokeTempPasscode revokes the user's temporary passcode, if any.
func (t tx) RevokeTempPasscode(id int64) error {
	_, err := t.changed("revoke temporary passcode", `UPDATE temp_passcodes SET revoked=TRUE WHERE user_id=?`, id)
	return err
}

// tempPasscodeOfUser reads a user's temporary passcode (TempPasscodeOf;
// read ahead, ahead.go).
const tempPasscodeOfUser = `SELECT hash, issued_at, expires_at, revoked FROM temp_passcodes WHERE user_id=?`

// TempPasscodeOf returns the user's last temporary passcode.
func (t tx) TempPasscodeOf(id int64) (store.TempPasscode, error) {
	var p store.TempPasscode
	var issued, exp int64
	err := t.row(tempPasscodeOfUser, id).Scan(&p.Hash, &issued, &exp, &p.Revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return p, store.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("read temporary passcode: %w", err)
	}
	p.Issued, p.Expires = fromUnix(issued), fromUnix(exp)
	return p, nil
}

// AddEnrolCode stores a One Swipe enrolment code's hash; see store.Tx. The
// user's row is locked first, so that of two codes issued at once, on any
// nodes, the later replaces the earlier.
func (t tx) AddEnrolCode(id int64, hash []byte, expires time.Time) error {
	if err := t.lockUser("add enrolment code", id); err != nil {
		return err
	}
	if _, err := t.changed("replace enrolment codes", `DELETE FROM enrol_codes WHERE user_id=?`, id); err != nil {
		return err
	}
	_, err := t.run(`INSERT INTO enrol_codes (hash, user_id, expires_at) VALUES (?, ?, ?)`, hash, id, unix(expires))
	if err != nil {
		return fmt.Errorf("add enrolment code: %w", err)
	}
	return nil
}

// DeleteEnrolCodes revokes the user's unused One Swipe enrolment codes;
// used ones stay, to be told apart from wrong ones.
func (t tx) DeleteEnrolCodes(id int64) error {
	_, err := t.changed("delete enrolment codes", `DELETE FROM enrol_codes WHERE user_id=? AND used=FALSE`, id)
	return err
}

// UseEnrolCode uses up a One Swipe enrolment code in one statement, so
// that of concurrent uses exactly one wins; see store.Tx.
func (t tx) UseEnrolCode(hash []byte, now time.Time) (int64, error) {
	var id int64
	err := t.row(`UPDATE enrol_codes SET used=TRUE WHERE hash=? AND used=FALSE AND expires_at>? RETURNING user_id`,
		hash, unix(now)).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("use enrolment code: %w", err)
	}
	// Say why it failed.
	var used bool
	err = t.row(`SELECT used FROM enrol_codes WHERE hash=?`, hash).Scan(&used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, store.ErrNotFound
	case err != nil:
		return 0, fmt.Errorf("use enrolment code: %w", err)
	case used:
		return 0, store.ErrCodeUsed
	}
	return 0, store.ErrCodeExpired
}
