package account

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
)

// The self-help desk's safeguards (docs/web.md, "The self-help desk").
//
// A password and one security answer are things someone close to a user
// may know. What the desk gives for them (a temporary passcode, a new
// number) must therefore never become a lasting second factor behind the
// user's back. When the desk is used, a case is opened: the user is mailed
// at the address on file with a link that says "this was not me". A token
// or number set up while the case holds (with the desk's temporary
// passcode, or anything but the user's old token or number) waits: the
// user's present token or number keeps working until the user confirms
// the change through the same mail, or until the cooling-off period
// (Config.CoolingOff) ends. "This was not me" revokes what the desk
// issued, drops what waits, ends every sign-in and locks the account
// until an administrator unlocks it.

// DefaultCoolingOff is how long a token or number set up with what the
// self-help desk gave waits for the user's confirmation before it takes
// over by itself: a working day, long enough for a user to read the mail
// that tells them, short enough that a trader whose PC was lost is on
// their own new token the next morning. The desk's temporary passcode
// carries them meanwhile.
const DefaultCoolingOff = 24 * time.Hour

// deskCaseLife is how long the "this was not me" link of a case works:
// as long as the 30-day rule keeps the desk from being used again.
const deskCaseLife = TempPasscodeInterval

// lockedForAdmin is the lock "this was not me" sets: it ends only when an
// administrator unlocks the account (user unlock).
var lockedForAdmin = time.Date(9999, time.December, 31, 0, 0, 0, 0, time.UTC)

// ErrNoDeskCase: a help desk link that is not, or no longer, valid.
var ErrNoDeskCase error = &Error{Code: CodeNoDeskCase, Message: "the link is not valid any more"}

// ErrDeskCaseChanged: what waits in a case is not what the page being
// confirmed showed (something else was set up since).
var ErrDeskCaseChanged error = &Error{Code: CodeDeskCaseChanged, Message: "what waits changed since the page was opened"}

// ErrOldFactor: security answers that exist are replaced only with the
// user's own token or SMS passcode, never with a temporary passcode.
var ErrOldFactor error = &Error{Code: CodeOldFactor, Message: "changing the security answers needs your token or SMS passcode"}

// deskCaseBinding is what a case's sealed secret is bound to.
func deskCaseBinding(id int64) string { return "desk:" + strconv.FormatInt(id, 10) }

// openDeskCase opens a help desk case for u in tx, replacing any, and
// returns it with its secret (for the links).
func (s *Service) openDeskCase(tx store.Tx, u store.User) (store.DeskCase, string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return store.DeskCase{}, "", fmt.Errorf("help desk case: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	sealed, err := s.sealer.Seal([]byte(secret), deskCaseBinding(u.ID))
	if err != nil {
		return store.DeskCase{}, "", err
	}
	sum := sha256.Sum256([]byte(secret))
	c := store.DeskCase{Hash: sum[:], Sealed: sealed, Opened: s.now(), Until: s.now().Add(s.cfg.CoolingOff)}
	return c, secret, tx.SetDeskCase(u.ID, c)
}

// deskHolds reports whether a token or number set up by the user of u,
// proved with proof, must wait for the user's confirmation: while a
// case's cooling-off lasts, everything but the user's old token or number
// waits. A case past its cooling-off lets what waited take over first.
// One set up with the old token or number shows the user has it: what
// waited is dropped, and the cooling-off ends (the case stays, for its
// "this was not me").
func (s *Service) deskHolds(tx store.Tx, u *store.User, proof Proof) (store.DeskCase, bool, error) {
	c, err := tx.DeskCaseOf(u.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return c, false, nil
	case err != nil:
		return c, false, err
	case proof == ProofToken || proof == ProofSMS:
		if c.Token == nil && c.Phone == "" && !s.now().Before(c.Until) {
			return c, false, nil
		}
		c.Token, c.Phone, c.Until = nil, "", minTime(c.Until, s.now())
		return c, false, tx.SetDeskCase(u.ID, c)
	case s.now().Before(c.Until):
		return c, true, nil
	}
	_, err = s.deskDue(tx, u)
	return c, false, err
}

// hold keeps a token (tok) or number (phone) set up during a case in the
// case, for the user's confirmation; the last one set up is what waits.
func (s *Service) hold(tx store.Tx, u store.User, c store.DeskCase, tok *store.Token, phone string) (string, error) {
	c.Token, c.Phone = tok, phone
	if err := tx.SetDeskCase(u.ID, c); err != nil {
		return "", err
	}
	what := "passcodes by SMS to " + sms.Mask(phone)
	if tok != nil {
		what = "token " + tok.Serial
	}
	return fmt.Sprintf("%s waits for the user's confirmation, until %s at the latest", what, c.Until.UTC().Format("2006-01-02 15:04Z")), nil
}

// deskDue, in tx, lets what waits in u's case take over once the case's
// cooling-off is over; it reports what it did ("" for nothing).
func (s *Service) deskDue(tx store.Tx, u *store.User) (string, error) {
	c, err := tx.DeskCaseOf(u.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	case s.now().Before(c.Until) || c.Token == nil && c.Phone == "":
		return "", nil
	}
	return s.takeOver(tx, u, c)
}

// takeOver makes what waits in case c u's token or number, in tx, as a
// completed enrolment does (see CompleteEnrolment, useSMS); every other
// grant of u ends. The case stays, without what waited, so that its "this
// was not me" link works on.
func (s *Service) takeOver(tx store.Tx, u *store.User, c store.DeskCase) (string, error) {
	var what string
	if err := s.enrolled(tx, u, ProofToken, nil); err != nil {
		return "", err
	}
	switch {
	case c.Token != nil:
		tok := *c.Token
		tok.Created = s.now()
		if err := tx.SetToken(u.ID, tok); err != nil {
			return "", err
		}
		u.SMS, u.Use2FA = false, true
		if err := tx.UpdateUser(*u); err != nil {
			return "", err
		}
		what = "token " + tok.Serial
	case c.Phone != "":
		if _, err := s.useSMS(tx, u, c.Phone); err != nil {
			return "", err
		}
		what = "passcodes by SMS to " + sms.Mask(c.Phone)
	}
	c.Token, c.Phone, c.Until = nil, "", minTime(c.Until, s.now())
	if err := tx.SetDeskCase(u.ID, c); err != nil {
		return "", err
	}
	if _, err := s.moved(tx, u, ProofToken); err != nil {
		return "", err
	}
	return what + " took over", nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// deskNotice mails u what the desk did or what waits in case c, with the
// case's links (secret is its secret, "" to unseal it from c).
func (s *Service) deskNotice(ctx context.Context, o Origin, u store.User, c store.DeskCase, secret string, tempExpires time.Time) string {
	if secret == "" {
		plain, err := s.sealer.Open(c.Sealed, deskCaseBinding(u.ID))
		if err != nil {
			s.cfg.Logger.Error("help desk case", "userid", u.UserID, "err", err)
			return "not sent: the case cannot be read"
		}
		secret = string(plain)
	}
	dc := mail.DeskChange{TempExpires: tempExpires, Until: c.Until, ConfirmURL: s.deskLink("change", secret),
		NotMeURL: s.deskLink("notme", secret)}
	if c.Token != nil {
		dc.Serial = c.Token.Serial
	}
	if c.Phone != "" {
		dc.Phone = sms.Mask(c.Phone)
	}
	return s.notify(ctx, o, u, mail.DeskNotice(lang.Or(u.Lang), "", "", u.UserID, dc, s.now()))
}

// deskLink is the address of a case's page (page "change" or "notme").
func (s *Service) deskLink(page, secret string) string {
	return s.cfg.DeskURL + page + "?c=" + url.QueryEscape(secret)
}

// DeskCase is what a help desk link's page shows: whose case it is and
// what waits.
type DeskCase struct {
	UserID string
	// Serial is a token waiting, Phone (masked) a number waiting.
	Serial, Phone string
	// Until is when what waits takes over by itself.
	Until time.Time
	// Waiting names what waits, for ConfirmDeskChange: a confirmation
	// takes over only what the page showed ("" for nothing).
	Waiting string
}

// waiting names what waits in c: a digest of the token's serial or the
// number, never either in clear ("" for nothing).
func waiting(c store.DeskCase) string {
	var what string
	switch {
	case c.Token != nil:
		what = "token:" + c.Token.Serial
	case c.Phone != "":
		what = "phone:" + c.Phone
	default:
		return ""
	}
	sum := sha256.Sum256([]byte(what))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// caseOf finds the case of a link's secret, with its user, in tx. In a
// write transaction the user's row is locked first and the case read
// again after: a confirmation, a "this was not me" and a sign-in past the
// cooling-off that race each decide on the case as the one before left
// it (the lock a "not me" set is never cleared by a confirmation that
// read the case before it).
func (s *Service) caseOf(tx store.ReadTx, secret string) (store.User, store.DeskCase, error) {
	sum := sha256.Sum256([]byte(secret))
	id, _, err := tx.DeskCaseByHash(sum[:])
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, store.DeskCase{}, ErrNoDeskCase
	}
	if err != nil {
		return store.User{}, store.DeskCase{}, err
	}
	u, err := tx.UserByID(id)
	if errors.Is(err, store.ErrNotFound) {
		return u, store.DeskCase{}, ErrNoDeskCase
	}
	if err != nil {
		return u, store.DeskCase{}, err
	}
	c, err := tx.DeskCaseOf(id)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && (subtle.ConstantTimeCompare(c.Hash, sum[:]) != 1 || !s.now().Before(c.Opened.Add(deskCaseLife))):
		return u, c, ErrNoDeskCase
	}
	return u, c, err
}

// LookUpDeskCase reads the case of a help desk link (secret from its
// address), for the page that asks the user to confirm or refuse it.
func (s *Service) LookUpDeskCase(ctx context.Context, secret string) (DeskCase, error) {
	var v DeskCase
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		u, c, err := s.caseOf(tx, secret)
		if err != nil {
			return err
		}
		v = DeskCase{UserID: u.UserID, Phone: sms.Mask(c.Phone), Until: c.Until, Waiting: waiting(c)}
		if c.Phone == "" {
			v.Phone = ""
		}
		if c.Token != nil {
			v.Serial = c.Token.Serial
		}
		return nil
	})
	return v, err
}

// ConfirmDeskChange is the user's confirmation, through the link mailed
// to the address on file, that the self-help desk's use was theirs: what
// waits takes over at once, and whatever they set up from now on needs
// no further confirmation. shown is DeskCase.Waiting of the page the user
// confirmed: when something else waits now (set up since the page was
// opened), nothing changes (ErrDeskCaseChanged), and the newest mail
// tells of it.
func (s *Service) ConfirmDeskChange(ctx context.Context, o Origin, secret, shown string) error {
	var userID string
	err := s.st.Update(ctx, func(tx store.Tx) error {
		u, c, err := s.caseOf(tx, secret)
		if err != nil {
			return err
		}
		userID = u.UserID
		if subtle.ConstantTimeCompare([]byte(waiting(c)), []byte(shown)) != 1 {
			return ErrDeskCaseChanged
		}
		detail := "nothing was waiting"
		if c.Token != nil || c.Phone != "" {
			if detail, err = s.takeOver(tx, &u, c); err != nil {
				return err
			}
		} else {
			c.Until = minTime(c.Until, s.now())
			if err := tx.SetDeskCase(u.ID, c); err != nil {
				return err
			}
		}
		return tx.Audit(s.event(o, u.UserID, "help desk confirm", CodeOK, detail))
	})
	if err != nil {
		s.refused(ctx, o, userID, "help desk confirm", err)
		return err
	}
	_, _ = s.preload(ctx, o, userID, true) // a number that took over: audited
	return nil
}

// DeskNotMe is the user's "this was not me", through the link mailed to
// the address on file: the desk's temporary passcode is revoked, what
// waits is dropped, every sign-in ends, and the account is locked until
// an administrator unlocks it (who then resets what the stranger knew).
func (s *Service) DeskNotMe(ctx context.Context, o Origin, secret string) error {
	var userID string
	err := s.st.Update(ctx, func(tx store.Tx) error {
		u, _, err := s.caseOf(tx, secret)
		if err != nil {
			return err
		}
		userID = u.UserID
		if closed, err := tx.DeleteDeskCase(u.ID); err != nil || !closed {
			return cmp.Or(err, ErrNoDeskCase)
		}
		for _, step := range []func() error{
			func() error { return tx.RevokeTempPasscode(u.ID) },
			func() error { return tx.DeleteSMSCodes(u.ID) },
			func() error { return tx.Lock(u.ID, lockedForAdmin) },
			func() error { _, err := tx.DropLease(u.UserID); return err },
		} {
			if err := step(); err != nil {
				return err
			}
		}
		if _, err := s.moved(tx, &u, ProofPassword); err != nil {
			return err
		}
		return tx.Audit(s.event(o, u.UserID, "help desk not me", CodeOK,
			"the desk's temporary passcode revoked, what waited dropped, the account locked for an administrator"))
	})
	if err != nil {
		s.refused(ctx, o, userID, "help desk not me", err)
	}
	return err
}
