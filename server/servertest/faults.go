package servertest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// Faults wraps a store so that a test can make one write fail: after Arm,
// the n-th write of any transaction fails (and its transaction rolls back).
type Faults struct {
	store.Store
	mu     sync.Mutex
	failAt int // 0: disarmed
	writes int
	failed string
}

// Failed names the write that failed since the last Arm, or "".
func (f *Faults) Failed() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// ErrInjected is the error of the write Faults fails.
var ErrInjected = fmt.Errorf("injected store failure")

// Arm makes the n-th write from now fail (n ≥ 1) and forgets the last
// failure; 0 disarms, keeping what Failed says.
func (f *Faults) Arm(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAt, f.writes = n, 0
	if n > 0 {
		f.failed = ""
	}
}

// write counts a write and fails the armed one.
func (f *Faults) write(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAt == 0 {
		return nil
	}
	if f.writes++; f.writes == f.failAt {
		f.failed, f.failAt = name, 0
		return fmt.Errorf("%s: %w", name, ErrInjected)
	}
	return nil
}

// Update runs fn on a transaction whose writes can fail.
func (f *Faults) Update(ctx context.Context, fn func(store.Tx) error) error {
	return f.Store.Update(ctx, func(tx store.Tx) error { return fn(faultyTx{Tx: tx, f: f}) })
}

// faultyTx counts every write of a transaction.
type faultyTx struct {
	store.Tx
	f *Faults
}

func (t faultyTx) CreateUser(u store.User) (store.User, error) {
	if err := t.f.write("CreateUser"); err != nil {
		return store.User{}, err
	}
	return t.Tx.CreateUser(u)
}

func (t faultyTx) UpdateUser(u store.User) error {
	return t.do("UpdateUser", func() error { return t.Tx.UpdateUser(u) })
}

func (t faultyTx) SetPassword(id int64, hash string, mustChange bool) error {
	return t.do("SetPassword", func() error { return t.Tx.SetPassword(id, hash, mustChange) })
}

func (t faultyTx) BumpEpoch(id int64) (int64, error) {
	if err := t.f.write("BumpEpoch"); err != nil {
		return 0, err
	}
	return t.Tx.BumpEpoch(id)
}

func (t faultyTx) DeleteUser(id int64) error {
	return t.do("DeleteUser", func() error { return t.Tx.DeleteUser(id) })
}

func (t faultyTx) SetToken(id int64, tok store.Token) error {
	return t.do("SetToken", func() error { return t.Tx.SetToken(id, tok) })
}

func (t faultyTx) DeleteToken(id int64) (bool, error) {
	return t.did("DeleteToken", func() (bool, error) { return t.Tx.DeleteToken(id) })
}

func (t faultyTx) AcceptStep(id int64, step int64, drift int) (bool, error) {
	return t.did("AcceptStep", func() (bool, error) { return t.Tx.AcceptStep(id, step, drift) })
}

func (t faultyTx) SetInitialPasscode(id int64, p store.InitialPasscode) error {
	return t.do("SetInitialPasscode", func() error { return t.Tx.SetInitialPasscode(id, p) })
}

func (t faultyTx) UseInitialPasscode(id int64) (bool, error) {
	return t.did("UseInitialPasscode", func() (bool, error) { return t.Tx.UseInitialPasscode(id) })
}

func (t faultyTx) ReserveAttempt(id int64, max int, lockFor time.Duration, now time.Time) (store.Attempt, bool, error) {
	if err := t.f.write("ReserveAttempt"); err != nil {
		return store.Attempt{}, false, err
	}
	return t.Tx.ReserveAttempt(id, max, lockFor, now)
}

func (t faultyTx) ResetFailures(id int64) error {
	return t.do("ResetFailures", func() error { return t.Tx.ResetFailures(id) })
}

func (t faultyTx) ReserveFirstFactor(key, source string, now time.Time, delay func(int) time.Duration) (store.Throttle, bool, error) {
	if err := t.f.write("ReserveFirstFactor"); err != nil {
		return store.Throttle{}, false, err
	}
	return t.Tx.ReserveFirstFactor(key, source, now, delay)
}

func (t faultyTx) RefundFirstFactor(key, source string) error {
	return t.do("RefundFirstFactor", func() error { return t.Tx.RefundFirstFactor(key, source) })
}

func (t faultyTx) ClearFirstFactor(key, source string) error {
	return t.do("ClearFirstFactor", func() error { return t.Tx.ClearFirstFactor(key, source) })
}

func (t faultyTx) SetSecurityAnswers(id int64, answers []store.SecurityAnswer) error {
	return t.do("SetSecurityAnswers", func() error { return t.Tx.SetSecurityAnswers(id, answers) })
}

func (t faultyTx) SetTempPasscode(id int64, p store.TempPasscode) error {
	return t.do("SetTempPasscode", func() error { return t.Tx.SetTempPasscode(id, p) })
}

func (t faultyTx) RevokeTempPasscode(id int64) error {
	return t.do("RevokeTempPasscode", func() error { return t.Tx.RevokeTempPasscode(id) })
}

func (t faultyTx) AddEnrolCode(id int64, hash []byte, expires time.Time) error {
	return t.do("AddEnrolCode", func() error { return t.Tx.AddEnrolCode(id, hash, expires) })
}

func (t faultyTx) UseEnrolCode(hash []byte, now time.Time) (int64, error) {
	if err := t.f.write("UseEnrolCode"); err != nil {
		return 0, err
	}
	return t.Tx.UseEnrolCode(hash, now)
}

func (t faultyTx) DeleteEnrolCodes(id int64) error {
	return t.do("DeleteEnrolCodes", func() error { return t.Tx.DeleteEnrolCodes(id) })
}

func (t faultyTx) SetSMSCode(id int64, c store.SMSCode) error {
	return t.do("SetSMSCode", func() error { return t.Tx.SetSMSCode(id, c) })
}

func (t faultyTx) DeleteSMSCode(id int64, purpose, hash string) (bool, error) {
	return t.did("DeleteSMSCode", func() (bool, error) { return t.Tx.DeleteSMSCode(id, purpose, hash) })
}

func (t faultyTx) DeleteSMSCodes(id int64) error {
	return t.do("DeleteSMSCodes", func() error { return t.Tx.DeleteSMSCodes(id) })
}

func (t faultyTx) Audit(e store.AuditEvent) error {
	return t.do("Audit", func() error { return t.Tx.Audit(e) })
}

func (t faultyTx) ResealTokens(reseal func(id int64, sealed []byte) ([]byte, error)) (int, error) {
	if err := t.f.write("ResealTokens"); err != nil {
		return 0, err
	}
	return t.Tx.ResealTokens(reseal)
}

func (t faultyTx) SetMasterKey(fingerprint []byte) error {
	return t.do("SetMasterKey", func() error { return t.Tx.SetMasterKey(fingerprint) })
}

func (t faultyTx) RelinkAudit(link func(e store.AuditEvent) []byte, seal func(h store.AuditHead) []byte) error {
	return t.do("RelinkAudit", func() error { return t.Tx.RelinkAudit(link, seal) })
}

func (t faultyTx) do(name string, write func() error) error {
	if err := t.f.write(name); err != nil {
		return err
	}
	return write()
}

func (t faultyTx) did(name string, write func() (bool, error)) (bool, error) {
	if err := t.f.write(name); err != nil {
		return false, err
	}
	return write()
}
