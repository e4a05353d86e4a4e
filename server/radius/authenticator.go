package radius

import (
	"crypto/hmac"
	"crypto/md5"
	"errors"

	"layeh.com/radius"
)

// typeMessageAuthenticator is attribute 80 (RFC 3579, section 3.2): an
// HMAC-MD5 of the whole packet under the client's shared secret.
const typeMessageAuthenticator = 80

// lenMessageAuthenticator is its value's length.
const lenMessageAuthenticator = md5.Size

// Why a request is dropped before it is read.
var (
	errNoAuthenticator  = errors.New("no Message-Authenticator")
	errBadAuthenticator = errors.New("wrong Message-Authenticator")
)

// checkAuthenticator checks the Message-Authenticator of the request b
// (its wire bytes, cut to its length): there must be exactly one, of 16
// bytes, equal to the HMAC-MD5 under secret of the packet with its value
// zeroed. For an Access-Request the authenticator field in b is the
// request authenticator the HMAC covers.
func checkAuthenticator(b, secret []byte) error {
	at := -1
	for i := 20; i+2 <= len(b); {
		n := int(b[i+1])
		if n < 2 || i+n > len(b) {
			return errBadAuthenticator
		}
		if b[i] == typeMessageAuthenticator {
			if at >= 0 || n != 2+lenMessageAuthenticator {
				return errBadAuthenticator
			}
			at = i + 2
		}
		i += n
	}
	if at < 0 {
		return errNoAuthenticator
	}
	zeroed := append([]byte(nil), b...)
	clear(zeroed[at : at+lenMessageAuthenticator])
	mac := hmac.New(md5.New, secret)
	mac.Write(zeroed)
	if !hmac.Equal(mac.Sum(nil), b[at:at+lenMessageAuthenticator]) {
		return errBadAuthenticator
	}
	return nil
}

// encodeSigned is the wire form of the answer p to a request whose
// authenticator p carries (Packet.Response copies it), signed: a
// Message-Authenticator first among its attributes (where the BlastRADIUS
// advice puts it), computed over the answer with the request
// authenticator in its place (RFC 3579, section 3.2), then the Response
// Authenticator over it all.
func encodeSigned(p *radius.Packet) ([]byte, error) {
	p.Del(typeMessageAuthenticator)
	ma := make(radius.Attribute, lenMessageAuthenticator)
	p.Attributes = append(radius.Attributes{{Type: typeMessageAuthenticator, Attribute: ma}}, p.Attributes...)
	b, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	mac := hmac.New(md5.New, p.Secret)
	mac.Write(b)
	copy(ma, mac.Sum(nil))
	return p.Encode()
}
