package stress

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"path/filepath"
	"time"

	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/wire"
)

// VerifyCPU measures the CPU time the server process spends per
// verifylogin (password and passcode, on an open service-account socket,
// production argon2id costs) against the CPU time of its cryptography
// alone: one RSA-2048 PKCS#1 v1.5 decryption and one argon2id check, run
// in this process. The two alternate in rounds, side by side in one run,
// so that the machine's load falls on both alike.
func VerifyCPU(rounds, perRound int) Scenario {
	return Scenario{Name: "verify-cpu", Run: func(ctx context.Context, e Env) error {
		db := filepath.Join(e.Dir, "verify-cpu.db")
		traders, err := prepare(ctx, db, rounds*perRound, password.Default)
		if err != nil {
			return err
		}
		p, err := e.start(ctx, db)
		if err != nil {
			return err
		}
		defer p.Stop()
		c, err := Dial(ctx, p.Addr, "", nil)
		if err != nil {
			return err
		}
		defer c.Close()
		if r, err := c.Login(serviceID, servicePW, ""); err != nil || r.Result != wire.ResultOK {
			return fmt.Errorf("service login: %+v %v", r, err)
		}
		floor, err := newFloor()
		if err != nil {
			return err
		}
		var serverCPU, floorCPU time.Duration
		for r := range rounds {
			f, err := floor.cpu(perRound)
			if err != nil {
				return err
			}
			s, err := verifyRound(p, c, traders[r*perRound:(r+1)*perRound])
			if err != nil {
				return err
			}
			serverCPU, floorCPU = serverCPU+s, floorCPU+f
			e.Report.Printf("verify-cpu: round %d: server %.2f ms per verifylogin, crypto alone %.2f ms: %.3f×", r+1,
				ms(s)/float64(perRound), ms(f)/float64(perRound), float64(s)/float64(f))
		}
		n := float64(rounds * perRound)
		e.Report.Printf("verify-cpu: %d verifylogin: server CPU %.2f ms each, its crypto alone %.2f ms: **%.3f×**",
			rounds*perRound, ms(serverCPU)/n, ms(floorCPU)/n, float64(serverCPU)/float64(floorCPU))
		return nil
	}}
}

// verifyRound verifies each trader once and returns the server's CPU
// time for them.
func verifyRound(p *Process, c *Client, traders []trader) (time.Duration, error) {
	before, err := p.Usage()
	if err != nil {
		return 0, err
	}
	for _, t := range traders {
		code, err := t.tok.Code(time.Now())
		if err != nil {
			return 0, err
		}
		if r, err := c.Verify(t.id, t.pw, code); err != nil || r.Result != wire.ResultOK {
			return 0, fmt.Errorf("verifylogin %s: %+v %v", t.id, r, err)
		}
	}
	after, err := p.Usage()
	return after.CPU - before.CPU, err
}

// floor is the cryptography of one verifylogin, done here.
type floor struct {
	key  *rsa.PrivateKey
	ct   []byte
	hash string
}

func newFloor() (*floor, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pw := []byte("trader-password-00000")
	//lint:ignore SA1019 the protocol's Java clients send PKCS#1 v1.5.
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, &key.PublicKey, pw)
	if err != nil {
		return nil, err
	}
	hash, err := password.Hash(pw, password.Default)
	return &floor{key: key, ct: ct, hash: hash}, err
}

// cpu does the cryptography n times and returns this process's CPU time
// for it.
func (f *floor) cpu(n int) (time.Duration, error) {
	before, err := selfCPU()
	if err != nil {
		return 0, err
	}
	for range n {
		//lint:ignore SA1019 the protocol's Java clients send PKCS#1 v1.5.
		pw, err := rsa.DecryptPKCS1v15(rand.Reader, f.key, f.ct)
		if err != nil {
			return 0, err
		}
		if ok, err := password.Check(f.hash, pw); err != nil || !ok {
			return 0, fmt.Errorf("floor: the password does not check: %v", err)
		}
	}
	after, err := selfCPU()
	return after - before, err
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
