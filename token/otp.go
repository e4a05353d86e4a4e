package token

import (
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// Type says how a token's moving factor advances.
type Type string

// The two OTP types of the Key URI format.
const (
	// TOTP (RFC 6238) derives the counter from the time.
	TOTP Type = "totp"
	// HOTP (RFC 4226) uses a counter that advances with every code used.
	HOTP Type = "hotp"
)

// Algorithm is the HMAC hash of a token, named as in the Key URI format.
type Algorithm string

// The hash algorithms softtoken supports.
const (
	SHA1   Algorithm = "SHA1"
	SHA256 Algorithm = "SHA256"
	SHA512 Algorithm = "SHA512"
)

// Defaults of the Key URI format, which are also what the companion server
// issues.
const (
	DefaultAlgorithm = SHA1
	DefaultDigits    = 6
	DefaultPeriod    = 30
)

// Params are the OTP parameters of a token.
type Params struct {
	Type      Type
	Algorithm Algorithm
	// Digits is 6 or 8.
	Digits int
	// Period is the TOTP time step in seconds: 30 or 60. Unused for HOTP.
	Period int
	// Counter is, for HOTP, the counter of the next code to use. Unused for TOTP.
	Counter uint64
}

// DefaultParams are the parameters of a token that says nothing else:
// TOTP, SHA1, 6 digits, 30 seconds.
func DefaultParams() Params {
	return Params{Type: TOTP, Algorithm: DefaultAlgorithm, Digits: DefaultDigits, Period: DefaultPeriod}
}

// Validate reports parameters this package cannot compute codes for.
func (p Params) Validate() error {
	switch p.Type {
	case TOTP:
		if p.Period != 30 && p.Period != 60 {
			return fmt.Errorf("a period of %d seconds is not supported (use 30 or 60)", p.Period)
		}
	case HOTP:
	default:
		return fmt.Errorf("token type %q is not supported (use totp or hotp)", p.Type)
	}
	if _, err := p.Algorithm.otp(); err != nil {
		return err
	}
	if p.Digits != 6 && p.Digits != 8 {
		return fmt.Errorf("%d digits are not supported (use 6 or 8)", p.Digits)
	}
	return nil
}

func (a Algorithm) otp() (otp.Algorithm, error) {
	switch a {
	case SHA1:
		return otp.AlgorithmSHA1, nil
	case SHA256:
		return otp.AlgorithmSHA256, nil
	case SHA512:
		return otp.AlgorithmSHA512, nil
	}
	return 0, fmt.Errorf("algorithm %q is not supported (use SHA1, SHA256 or SHA512)", a)
}

// HOTPCode is the RFC 4226 code of secret at counter.
func HOTPCode(secret Secret, counter uint64, alg Algorithm, digits int) (string, error) {
	a, err := alg.otp()
	if err != nil {
		return "", err
	}
	if digits != 6 && digits != 8 {
		return "", fmt.Errorf("%d digits are not supported (use 6 or 8)", digits)
	}
	if err := validateSecret(secret); err != nil {
		return "", err
	}
	code, err := hotp.GenerateCodeCustom(secret.Base32(), counter, hotp.ValidateOpts{Digits: otp.Digits(digits), Algorithm: a})
	if err != nil {
		return "", errors.New("cannot compute the passcode: the secret is not valid")
	}
	return code, nil
}

// Step is the RFC 6238 time step of now for a period in seconds: the HOTP
// counter a TOTP token uses at that moment.
func Step(now time.Time, period int) (uint64, error) {
	if period <= 0 {
		return 0, fmt.Errorf("a period of %d seconds is not valid", period)
	}
	unix := now.Unix()
	if unix < 0 {
		return 0, errors.New("the clock is set before 1970: fix the computer's date and time")
	}
	return uint64(unix) / uint64(period), nil
}

// Code is the passcode t shows at now: for TOTP the code of the current
// period, for HOTP the code at t.Counter (the caller must then advance the
// counter, as [Store.NextHOTPCode] does).
func (t Token) Code(now time.Time) (string, error) {
	return t.codeAt(now, 0)
}

// NextCode is the passcode that follows [Token.Code]: for TOTP the code of the
// next period, for HOTP the code at t.Counter+1.
func (t Token) NextCode(now time.Time) (string, error) {
	return t.codeAt(now, 1)
}

func (t Token) codeAt(now time.Time, ahead uint64) (string, error) {
	if err := t.Params.Validate(); err != nil {
		return "", err
	}
	counter := t.Counter
	if t.Type == TOTP {
		step, err := Step(now, t.Period)
		if err != nil {
			return "", err
		}
		counter = step
	}
	return HOTPCode(t.Secret, counter+ahead, t.Algorithm, t.Digits)
}

// Remaining is how long the TOTP code shown at now stays valid: from the
// period length down to just above zero. It is zero for HOTP tokens, whose
// codes do not expire by time.
func (t Token) Remaining(now time.Time) time.Duration {
	if t.Type != TOTP || t.Period <= 0 {
		return 0
	}
	// Seconds and nanoseconds apart: UnixNano overflows after the year 2262.
	p := int64(t.Period)
	sec := (now.Unix()%p + p) % p
	elapsed := time.Duration(sec)*time.Second + time.Duration(now.Nanosecond())
	return time.Duration(p)*time.Second - elapsed
}

// SecondsLeft is [Token.Remaining] rounded up to whole seconds, as a
// countdown shows it: 30 right at the period start, 1 in its last second.
func (t Token) SecondsLeft(now time.Time) int {
	r := t.Remaining(now)
	return int((r + time.Second - 1) / time.Second)
}
