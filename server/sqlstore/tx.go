package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

func attrText(a json.RawMessage) string {
	if len(a) == 0 || string(a) == "null" {
		return "{}"
	}
	return string(a)
}

const userColumns = `id, userid, firm, roles, attr, is_admin, active, use2fa, pass_hash, must_change, email, phone, failures, locked_until, created_at, sms, epoch, service, recovered_at, lang, desk_question, scope, networks`

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var attr string
	var locked, created, recovered int64
	err := row.Scan(&u.ID, &u.UserID, &u.Firm, &u.Roles, &attr, &u.IsAdmin, &u.Active, &u.Use2FA,
		&u.PassHash, &u.MustChangePassword, &u.Email, &u.Phone, &u.Failures, &locked, &created, &u.SMS, &u.Epoch, &u.Service, &recovered, &u.Lang,
		&u.DeskQuestion, &u.Scope, &u.Networks)
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, err
	}
	u.Attr, u.LockedUntil, u.Created, u.RecoveredAt = json.RawMessage(attr), fromUnix(locked), fromUnix(created), fromUnix(recovered)
	return u, nil
}

// CreateUser inserts u (with its epoch); a user ID that exists (in any
// case) is ErrExists.
func (t tx) CreateUser(u store.User) (store.User, error) {
	if u.Created.IsZero() {
		u.Created = time.Now()
	}
	if u.Lang == "" {
		u.Lang = "en"
	}
	err := t.row(`INSERT INTO users (userid, firm, roles, attr, is_admin, active, use2fa, pass_hash, must_change, email, phone, created_at, sms, epoch, service, lang, scope, networks)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.UserID, u.Firm, u.Roles, attrText(u.Attr), u.IsAdmin, u.Active, u.Use2FA, u.PassHash, u.MustChangePassword, u.Email, u.Phone, unix(u.Created), u.SMS, u.Epoch, u.Service,
		u.Lang, u.Scope, u.Networks).Scan(&u.ID)
	if err != nil {
		if t.d.IsUnique(err) {
			return store.User{}, fmt.Errorf("user %s: %w", u.UserID, store.ErrExists)
		}
		return store.User{}, fmt.Errorf("create user %s: %w", u.UserID, err)
	}
	return u, nil
}

// UserByUserID finds a user by user ID, case-insensitively.
func (t tx) UserByUserID(userID string) (store.User, error) {
	u, err := scanUser(t.row(`SELECT `+userColumns+` FROM users WHERE userid = ?`+t.userLock, userID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("read user %s: %w", userID, err)
	}
	return u, err
}

// UserByID finds a user by row ID.
func (t tx) UserByID(id int64) (store.User, error) {
	u, err := scanUser(t.row(`SELECT `+userColumns+` FROM users WHERE id = ?`+t.userLock, id))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("read user %d: %w", id, err)
	}
	return u, err
}

// ListUsers returns every user, by user ID.
func (t tx) ListUsers() ([]store.User, error) {
	rows, err := t.rows(`SELECT ` + userColumns + ` FROM users ORDER BY userid`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser writes u's profile fields.
func (t tx) UpdateUser(u store.User) error {
	return t.exec("update user "+u.UserID, `UPDATE users SET firm=?, roles=?, attr=?, is_admin=?, active=?, use2fa=?, email=?, phone=?, sms=?, recovered_at=?, lang=?,
		desk_question=?, scope=?, networks=? WHERE id=?`,
		u.Firm, u.Roles, attrText(u.Attr), u.IsAdmin, u.Active, u.Use2FA, u.Email, u.Phone, u.SMS, unix(u.RecoveredAt), u.Lang,
		u.DeskQuestion, u.Scope, u.Networks, u.ID)
}

// SetPassword replaces a user's password hash.
func (t tx) SetPassword(id int64, hash string, mustChange bool) error {
	return t.exec("set password", `UPDATE users SET pass_hash=?, must_change=? WHERE id=?`, hash, mustChange, id)
}

// BumpEpoch moves the user's epoch on.
func (t tx) BumpEpoch(id int64) (int64, error) {
	var epoch int64
	err := t.row(`UPDATE users SET epoch = epoch + 1 WHERE id=? RETURNING epoch`, id).Scan(&epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("move epoch on: %w", store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("move epoch on: %w", err)
	}
	return epoch, nil
}

// DeleteUser removes a user with their token and passcodes (not the audit).
func (t tx) DeleteUser(id int64) error {
	return t.exec("delete user", `DELETE FROM users WHERE id=?`, id)
}

// SetToken replaces the user's token.
func (t tx) SetToken(id int64, tok store.Token) error {
	if tok.Created.IsZero() {
		tok.Created = time.Now()
	}
	_, err := t.run(`INSERT INTO tokens (user_id, serial, sealed_seed, algorithm, digits, period, last_step, drift, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET serial=excluded.serial, sealed_seed=excluded.sealed_seed,
		algorithm=excluded.algorithm, digits=excluded.digits, period=excluded.period, last_step=excluded.last_step, drift=excluded.drift, created_at=excluded.created_at`, id, tok.Serial, tok.SealedSeed, tok.Algorithm, tok.Digits, tok.Period, tok.LastStep, tok.Drift, unix(tok.Created))
	if err != nil {
		return fmt.Errorf("set token: %w", err)
	}
	return nil
}

// TokenOf returns the user's token, or ErrNotFound.
func (t tx) TokenOf(id int64) (store.Token, error) {
	var tok store.Token
	var created int64
	err := t.row(`SELECT serial, sealed_seed, algorithm, digits, period, last_step, drift, created_at FROM tokens WHERE user_id=?`, id).
		Scan(&tok.Serial, &tok.SealedSeed, &tok.Algorithm, &tok.Digits, &tok.Period, &tok.LastStep, &tok.Drift, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, store.ErrNotFound
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("read token: %w", err)
	}
	tok.Created = fromUnix(created)
	return tok, nil
}

// DeleteToken revokes the user's token.
func (t tx) DeleteToken(id int64) (bool, error) {
	return t.changed("delete token", `DELETE FROM tokens WHERE user_id=?`, id)
}

// AcceptStep is one conditional UPDATE, so two racing verifications of
// one code cannot both succeed.
func (t tx) AcceptStep(id int64, step int64, drift int) (bool, error) {
	return t.changed("accept step", `UPDATE tokens SET last_step=?, drift=? WHERE user_id=? AND last_step < ?`, step, drift, id, step)
}

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

// ReserveAttempt counts an attempt and locks at max, in one statement that
// does nothing while the user is locked.
func (t tx) ReserveAttempt(id int64, max int, lockFor time.Duration, now time.Time) (store.Attempt, bool, error) {
	var a store.Attempt
	var locked int64
	err := t.row(`UPDATE users SET failures = failures + 1,
		locked_until = CASE WHEN failures + 1 >= ? THEN CAST(? AS BIGINT) ELSE 0 END
		WHERE id = ? AND locked_until <= ? RETURNING failures, locked_until`, max, now.Add(lockFor).Unix(), id, now.Unix()).Scan(&a.Failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return t.lockState(id)
	}
	if err != nil {
		return store.Attempt{}, false, fmt.Errorf("reserve attempt: %w", err)
	}
	a.LockedUntil = fromUnix(locked)
	return a, true, nil
}

// lockState is the answer of a refused reservation: the user is locked, or
// does not exist.
func (t tx) lockState(id int64) (store.Attempt, bool, error) {
	u, err := t.UserByID(id)
	if err != nil {
		return store.Attempt{}, false, fmt.Errorf("reserve attempt: %w", err)
	}
	return store.Attempt{Failures: u.Failures, LockedUntil: u.LockedUntil}, false, nil
}

// ResetFailures clears the failure count and any lock.
func (t tx) ResetFailures(id int64) error {
	return t.exec("reset failures", `UPDATE users SET failures=0, locked_until=0 WHERE id=?`, id)
}

// Lock locks the user until until.
func (t tx) Lock(id int64, until time.Time) error {
	return t.exec("lock user", `UPDATE users SET locked_until=? WHERE id=?`, unix(until), id)
}

// ReserveFirstFactor counts a first-factor attempt of key from source
// unless the pair is blocked. The pair's row is made if it is missing, or
// else locked, and read, in one upsert, so that concurrent attempts (from
// other nodes too) count one after the other: none is lost, none passes a
// block another just set, and none fails on a row another node's right
// password deleted (ClearFirstFactor) between two statements.
func (t tx) ReserveFirstFactor(key, source string, now time.Time, delay func(int) time.Duration) (store.Throttle, bool, error) {
	var th store.Throttle
	var blocked int64
	err := t.row(`INSERT INTO first_factor_throttle (userid, source, failures, blocked_until, touched_at) VALUES (?, ?, 0, 0, ?)
		ON CONFLICT (userid, source) DO UPDATE SET touched_at=first_factor_throttle.touched_at
		RETURNING failures, blocked_until`, key, source, now.Unix()).Scan(&th.Failures, &blocked)
	if err != nil {
		return th, false, fmt.Errorf("read throttle: %w", err)
	}
	if blocked > now.Unix() {
		th.BlockedUntil = fromUnix(blocked)
		return th, false, nil
	}
	th.Failures++
	th.BlockedUntil = now.Add(delay(th.Failures))
	if _, err := t.run(`UPDATE first_factor_throttle SET failures=?, blocked_until=?, touched_at=? WHERE userid=? AND source=?`,
		th.Failures, th.BlockedUntil.Unix(), now.Unix(), key, source); err != nil {
		return th, false, fmt.Errorf("count attempt: %w", err)
	}
	return th, true, nil
}

// ClearFirstFactor forgets the failures of key from source.
func (t tx) ClearFirstFactor(key, source string) error {
	_, err := t.run(`DELETE FROM first_factor_throttle WHERE userid=? AND source=?`, key, source)
	if err != nil {
		return fmt.Errorf("clear throttle: %w", err)
	}
	return nil
}

// ForgetFirstFactors deletes throttles untouched since before.
func (t tx) ForgetFirstFactors(before time.Time) error {
	_, err := t.run(`DELETE FROM first_factor_throttle WHERE touched_at < ?`, before.Unix())
	if err != nil {
		return fmt.Errorf("forget throttles: %w", err)
	}
	return nil
}

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

// TempPasscodeOf returns the user's last temporary passcode.
func (t tx) TempPasscodeOf(id int64) (store.TempPasscode, error) {
	var p store.TempPasscode
	var issued, exp int64
	err := t.row(`SELECT hash, issued_at, expires_at, revoked FROM temp_passcodes WHERE user_id=?`, id).Scan(&p.Hash, &issued, &exp, &p.Revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return p, store.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("read temporary passcode: %w", err)
	}
	p.Issued, p.Expires = fromUnix(issued), fromUnix(exp)
	return p, nil
}

// DisableUnenrolled disables users who let their initial passcode expire.
func (t tx) DisableUnenrolled(now time.Time) ([]string, error) {
	rows, err := t.rows(`UPDATE users SET active=FALSE, epoch=epoch+1
		WHERE active=TRUE AND sms=FALSE
		AND id NOT IN (SELECT user_id FROM tokens)
		AND id IN (SELECT user_id FROM initial_passcodes WHERE used=FALSE AND expires_at < ?)
		RETURNING userid`, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("disable unenrolled users: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		ids = append(ids, u)
	}
	return ids, rows.Err()
}

// TakeLease gives userID's lease to holder unless another's lasts past now,
// in one upsert whose WHERE decides: of two nodes racing for one user, one
// takes the lease and the other sees it taken.
func (t tx) TakeLease(userID, holder string, until, now time.Time) (store.Lease, bool, error) {
	took, err := t.changed("take lease", `INSERT INTO session_leases (userid, holder, open, until_at, updated_at) VALUES (?, ?, TRUE, ?, ?)
		ON CONFLICT (userid) DO UPDATE SET holder=excluded.holder, open=TRUE, until_at=excluded.until_at, updated_at=excluded.updated_at
		WHERE session_leases.holder = excluded.holder OR session_leases.until_at <= ?`,
		userID, holder, until.Unix(), now.Unix(), now.Unix())
	if err != nil || took {
		return store.Lease{}, took, err
	}
	// Another's lease holds (the upsert locked its row on PostgreSQL, so
	// it stays as read until this transaction ends): say whose.
	var l store.Lease
	var u, upd int64
	err = t.row(`SELECT userid, holder, open, until_at, updated_at FROM session_leases WHERE userid=?`, userID).
		Scan(&l.UserID, &l.Holder, &l.Open, &u, &upd)
	if err != nil {
		return store.Lease{}, false, fmt.Errorf("read lease: %w", err)
	}
	l.Until, l.Updated = fromUnix(u), fromUnix(upd)
	return l, false, nil
}

// RefreshLeases moves the end of holder's open leases to until.
func (t tx) RefreshLeases(holder string, until time.Time) error {
	_, err := t.run(`UPDATE session_leases SET until_at=? WHERE holder=? AND open=TRUE`, until.Unix(), holder)
	if err != nil {
		return fmt.Errorf("refresh leases: %w", err)
	}
	return nil
}

// EndLease closes (or, with a zero until, deletes) holder's lease.
func (t tx) EndLease(userID, holder string, until time.Time) (bool, error) {
	if until.IsZero() {
		return t.changed("end lease", `DELETE FROM session_leases WHERE userid=? AND holder=?`, userID, holder)
	}
	return t.changed("end lease", `UPDATE session_leases SET open=FALSE, until_at=? WHERE userid=? AND holder=?`, until.Unix(), userID, holder)
}

// DropLease deletes userID's lease.
func (t tx) DropLease(userID string) (bool, error) {
	return t.changed("drop lease", `DELETE FROM session_leases WHERE userid=?`, userID)
}

// Leases lists the leases that last past now, by user ID.
func (t tx) Leases(now time.Time) ([]store.Lease, error) {
	rows, err := t.rows(`SELECT userid, holder, open, until_at, updated_at FROM session_leases WHERE until_at > ? ORDER BY userid`, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	defer rows.Close()
	var out []store.Lease
	for rows.Next() {
		var l store.Lease
		var u, upd int64
		if err := rows.Scan(&l.UserID, &l.Holder, &l.Open, &u, &upd); err != nil {
			return nil, fmt.Errorf("list leases: %w", err)
		}
		l.Until, l.Updated = fromUnix(u), fromUnix(upd)
		out = append(out, l)
	}
	return out, rows.Err()
}
