package stress

import (
	"errors"
	"time"
)

// Kill ends the server with SIGKILL, as a machine that dies or an
// out-of-memory killer would (no shutdown: no socket closed cleanly, no
// session lease ended), and waits until it is gone. A Stop after it
// returns at once.
func (p *Process) Kill() error {
	if err := p.cmd.Process.Kill(); err != nil {
		return err
	}
	select {
	case err := <-p.done:
		p.done <- err // for a later Stop or Kill
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("the server was still running 30 s after SIGKILL")
	}
}
