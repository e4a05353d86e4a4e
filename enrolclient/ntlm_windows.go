//go:build windows

package enrolclient

import (
	"errors"

	"github.com/alexbrainman/sspi"
	"github.com/alexbrainman/sspi/ntlm"
)

// osNTLM is the logged-on user's identity, through Windows' SSPI: the
// proxy is passed without asking for a password.
func osNTLM() ntlmAuth { return &sspiNTLM{} }

// sspiNTLM makes NTLM's messages with SSPI's NTLM package.
type sspiNTLM struct {
	cred *sspi.Credentials
	ctx  *ntlm.ClientContext
}

func (a *sspiNTLM) negotiate() ([]byte, error) {
	cred, err := ntlm.AcquireCurrentUserCredentials()
	if err != nil {
		return nil, err
	}
	a.cred = cred
	ctx, msg, err := ntlm.NewClientContext(cred)
	if err != nil {
		return nil, err
	}
	a.ctx = ctx
	return msg, nil
}

func (a *sspiNTLM) authenticate(challenge []byte) ([]byte, error) {
	if a.ctx == nil {
		return nil, errors.New("no NTLM handshake under way")
	}
	return a.ctx.Update(challenge)
}

func (a *sspiNTLM) release() {
	if a.ctx != nil {
		_ = a.ctx.Release()
	}
	if a.cred != nil {
		_ = a.cred.Release()
	}
}

func (a *sspiNTLM) who() string { return "this PC's Windows sign-in" }
