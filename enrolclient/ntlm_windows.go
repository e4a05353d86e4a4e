//go:build windows

package enrolclient

import (
	"errors"
	"fmt"

	"github.com/alexbrainman/sspi"
)

// osNTLM is the logged-on user's identity, through Windows' SSPI: the
// proxy is passed without asking for a password.
func osNTLM() ntlmAuth { return &sspiNTLM{} }

// sspiNTLM makes NTLM's messages with SSPI's NTLM package, through the
// base sspi package: its ntlm package asks SSPI for NTLM when the program
// starts and panics where there is none (Wine; a PC where NTLM is turned
// off), so softtoken would not start at all. Here a PC without NTLM only
// fails the handshake, with an error that says so.
type sspiNTLM struct {
	cred     *sspi.Credentials
	ctx      *sspi.Context
	maxToken uint32
}

// errNoSSPINTLM is a PC whose SSPI offers no NTLM.
var errNoSSPINTLM = errors.New("this PC's Windows offers no NTLM sign-in")

func (a *sspiNTLM) negotiate() ([]byte, error) {
	info, err := sspi.QueryPackageInfo(sspi.NTLMSP_NAME)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNoSSPINTLM, err)
	}
	a.maxToken = info.MaxToken
	if a.cred, err = sspi.AcquireCredentials("", sspi.NTLMSP_NAME, sspi.SECPKG_CRED_OUTBOUND, nil); err != nil {
		return nil, fmt.Errorf("the Windows sign-in for the proxy: %w", err)
	}
	a.ctx = sspi.NewClientContext(a.cred, sspi.ISC_REQ_CONNECTION)
	msg, done, err := a.step(nil)
	switch {
	case err != nil:
		return nil, err
	case done || len(msg) == 0:
		return nil, errors.New("the NTLM of Windows gave no negotiate message")
	}
	return msg, nil
}

func (a *sspiNTLM) authenticate(challenge []byte) ([]byte, error) {
	if a.ctx == nil {
		return nil, errors.New("no NTLM handshake under way")
	}
	msg, _, err := a.step(challenge)
	if err == nil && len(msg) == 0 {
		err = errors.New("the NTLM of Windows gave no authenticate message")
	}
	return msg, err
}

// step gives SSPI the proxy's token in (nil at first) and returns the
// token to send it, and whether SSPI considers the handshake done.
func (a *sspiNTLM) step(in []byte) (out []byte, done bool, err error) {
	var inBuf [1]sspi.SecBuffer
	inBuf[0].Set(sspi.SECBUFFER_TOKEN, in)
	out = make([]byte, a.maxToken)
	var outBuf [1]sspi.SecBuffer
	outBuf[0].Set(sspi.SECBUFFER_TOKEN, out)
	outs := sspi.NewSecBufferDesc(outBuf[:])
	switch ret := a.ctx.Update(nil, outs, sspi.NewSecBufferDesc(inBuf[:])); ret {
	case sspi.SEC_E_OK:
		done = true
	case sspi.SEC_I_COMPLETE_NEEDED, sspi.SEC_I_COMPLETE_AND_CONTINUE:
		if ret := sspi.CompleteAuthToken(a.ctx.Handle, outs); ret != sspi.SEC_E_OK {
			return nil, false, fmt.Errorf("the NTLM of Windows: %w", ret)
		}
	case sspi.SEC_I_CONTINUE_NEEDED:
	default:
		return nil, false, fmt.Errorf("the NTLM of Windows: %w", ret)
	}
	return out[:outBuf[0].BufferSize], done, nil
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
