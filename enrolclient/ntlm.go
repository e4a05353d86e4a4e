package enrolclient

import (
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/go-ntlmssp"
)

// ntlmAuth makes the two messages of the client's side of an NTLM
// handshake: from a user name and password, or (on Windows) from the
// logged-on user's identity.
type ntlmAuth interface {
	negotiate() ([]byte, error)
	authenticate(challenge []byte) ([]byte, error)
	release()
	// who is the identity, as the user is told it.
	who() string
}

// newNTLM is the NTLM identity for the proxy p: the user and password of
// p's URL (http://DOMAIN%5Cuser:password@host:port), else the logged-on
// user's on Windows; nil when there is none.
func newNTLM(p *url.URL) ntlmAuth {
	if p.User != nil {
		pw, _ := p.User.Password()
		return passwordNTLM{user: p.User.Username(), password: pw}
	}
	return osNTLM()
}

// passwordNTLM is NTLMv2 with a user name ("DOMAIN\user", "user@domain"
// or "user") and password, in pure Go.
type passwordNTLM struct{ user, password string }

func (a passwordNTLM) negotiate() ([]byte, error) { return ntlmssp.NewNegotiateMessage("", "") }

func (a passwordNTLM) authenticate(challenge []byte) ([]byte, error) {
	return ntlmssp.NewAuthenticateMessage(tidyChallenge(challenge), a.user, a.password, nil)
}

// challengeFields is where a CHALLENGE message holds its target name and
// target info: each a length, a maximum length and an offset.
var challengeFields = []int{12, 40}

// tidyChallenge is a CHALLENGE message that go-ntlmssp can read: some
// proxies' (squid's ntlm_fake_auth among them) are 40 bytes long,
// without the target info field, or give the target name an offset
// beyond the message. Such a field is emptied: neither is needed for
// the answer, which rests on the flags and the server's challenge. A
// well-formed message is returned as it is.
func tidyChallenge(b []byte) []byte {
	if len(b) < 32 {
		return b // not a challenge at all: go-ntlmssp says so
	}
	out := b
	if len(out) < 48 {
		out = append(append([]byte(nil), b...), make([]byte, 48-len(b))...)
	}
	for _, at := range challengeFields {
		n, off := int(binary.LittleEndian.Uint16(out[at:])), int(binary.LittleEndian.Uint32(out[at+4:]))
		if n == 0 || (off >= 0 && off <= len(out) && n <= len(out)-off) {
			continue
		}
		if &out[0] == &b[0] {
			out = append([]byte(nil), b...)
		}
		clear(out[at : at+8])
	}
	return out
}

func (a passwordNTLM) release() {}

func (a passwordNTLM) who() string { return "user " + a.user }

// ntlmScheme is the authentication scheme a proxy's 407 answer offers
// NTLM in: "NTLM", else "Negotiate" (which takes NTLM's messages as they
// are), else "".
func ntlmScheme(h http.Header) string {
	scheme := ""
	for _, v := range h.Values("Proxy-Authenticate") {
		name, _, _ := strings.Cut(strings.TrimSpace(v), " ")
		switch {
		case strings.EqualFold(name, "NTLM"):
			return "NTLM"
		case strings.EqualFold(name, "Negotiate"):
			scheme = "Negotiate"
		}
	}
	return scheme
}

// ntlmChallenge is the proxy's challenge in its 407 answer under scheme,
// nil when there is none.
func ntlmChallenge(h http.Header, scheme string) []byte {
	for _, v := range h.Values("Proxy-Authenticate") {
		name, token, _ := strings.Cut(strings.TrimSpace(v), " ")
		if !strings.EqualFold(name, scheme) || strings.TrimSpace(token) == "" {
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token)); err == nil {
			return b
		}
	}
	return nil
}
