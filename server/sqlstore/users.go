package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// The users table: accounts, their profile, password and epoch.

const userColumns = `id, userid, firm, roles, attr, is_admin, active, use2fa, pass_hash, must_change, email, phone, failures, locked_until, created_at, sms, epoch, service, recovered_at, lang, desk_question, scope, networks, console_role, source, directory_key`

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var attr string
	var locked, created, recovered int64
	err := row.Scan(&u.ID, &u.UserID, &u.Firm, &u.Roles, &attr, &u.IsAdmin, &u.Active, &u.Use2FA,
		&u.PassHash, &u.MustChangePassword, &u.Email, &u.Phone, &u.Failures, &locked, &created, &u.SMS, &u.Epoch, &u.Service, &recovered, &u.Lang,
		&u.DeskQuestion, &u.Scope, &u.Networks, &u.ConsoleRole, &u.Source, &u.DirectoryKey)
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
	err := t.row(`INSERT INTO users (userid, firm, roles, attr, is_admin, active, use2fa, pass_hash, must_change, email, phone, created_at, sms, epoch, service, lang, scope, networks, console_role, source, directory_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.UserID, u.Firm, u.Roles, attrText(u.Attr), u.IsAdmin, u.Active, u.Use2FA, u.PassHash, u.MustChangePassword, u.Email, u.Phone, unix(u.Created), u.SMS, u.Epoch, u.Service,
		u.Lang, u.Scope, u.Networks, u.ConsoleRole, u.Source, u.DirectoryKey).Scan(&u.ID)
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
	u, err := scanUser(t.lockedUser(userByUserID+t.userLock, userID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("read user %s: %w", userID, err)
	}
	if err == nil {
		t.locked(u)
	}
	return u, err
}

// userByUserID reads a user by user ID (UserByUserID; read ahead,
// ahead.go).
const userByUserID = `SELECT ` + userColumns + ` FROM users WHERE userid = ?`

// userByID reads a user by row ID (UserByID; read ahead, ahead.go).
const userByID = `SELECT ` + userColumns + ` FROM users WHERE id = ?`

// UserByID finds a user by row ID.
func (t tx) UserByID(id int64) (store.User, error) {
	u, err := scanUser(t.lockedUser(userByID+t.userLock, id))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("read user %d: %w", id, err)
	}
	if err == nil {
		t.locked(u)
	}
	return u, err
}

// lockedUser is the row of a query of one user by row ID or user ID
// (arg). In a pipelined write transaction the reads of the rows that hang
// from the user go ahead with it (ahead.go).
func (t tx) lockedUser(query string, arg any) scanner {
	if t.p == nil || t.userLock == "" {
		return t.row(query, arg)
	}
	byUserID, _ := arg.(string)
	byID, _ := arg.(int64)
	return pipeRow{ctx: t.ctx, p: t.p, query: t.d.rebind(query), args: []any{arg},
		ahead: func(dest []any) []Stmt {
			id, _ := dest[0].(*int64) // scanUser's first column: the row ID
			return t.aheadStmts(byUserID, byID, t.p, func() int64 {
				if id == nil {
					return 0
				}
				return *id
			}, false, "")
		}}
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
		desk_question=?, scope=?, networks=?, console_role=? WHERE id=?`,
		u.Firm, u.Roles, attrText(u.Attr), u.IsAdmin, u.Active, u.Use2FA, u.Email, u.Phone, u.SMS, unix(u.RecoveredAt), u.Lang,
		u.DeskQuestion, u.Scope, u.Networks, u.ConsoleRole, u.ID)
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
