package token_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/token"
)

// A TOTP token's passcode is a pure function of its seed and the time the
// caller passes in: here the seed and the first moment of RFC 6238's test
// vectors (Appendix B), whose 8-digit code there is 94287082. The next
// period's code ends in 359152, RFC 4226's code for the same counter.
func ExampleToken_Code() {
	tok := token.Token{
		Label:  "RFC 6238",
		Secret: token.Secret("12345678901234567890"),
		Params: token.Params{Type: token.TOTP, Algorithm: token.SHA1, Digits: 8, Period: 30},
	}
	at := time.Unix(59, 0)
	code, err := tok.Code(at)
	if err != nil {
		fmt.Println(err)
		return
	}
	next, _ := tok.NextCode(at)
	fmt.Println(code, "valid for", tok.SecondsLeft(at), "s; then", next)
	// Output: 94287082 valid for 1 s; then 37359152
}

// HOTPCode is RFC 4226's algorithm on its own: the codes of counters 0
// to 2 of RFC 4226's test seed (Appendix D).
func ExampleHOTPCode() {
	secret := token.Secret("12345678901234567890")
	for counter := range uint64(3) {
		code, err := token.HOTPCode(secret, counter, token.SHA1, 6)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(counter, code)
	}
	// Output:
	// 0 755224
	// 1 287082
	// 2 359152
}

// A QR code of an authenticator holds an otpauth:// URI; ParseURI makes
// it a token named after its account and issuer. Printing the token shows
// its label, never its seed.
func ExampleParseURI() {
	tok, err := token.ParseURI("otpauth://totp/Example:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example&digits=8")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok)
	fmt.Println(tok.Type, tok.Algorithm, tok.Digits, tok.Period)
	fmt.Printf("%v\n", tok.Secret)
	code, _ := tok.Code(time.Unix(1111111109, 0))
	fmt.Println(code)
	// Output:
	// alice@example.com (Example)
	// totp SHA1 8 30
	// [secret]
	// 07081804
}

// A malformed URI's error names the field at fault, so that a scanner can
// say what is wrong; text that is no otpauth:// URI at all is
// ErrNotOTPAuth.
func ExampleParseURI_errors() {
	_, err := token.ParseURI("otpauth://totp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=7")
	var uriErr *token.URIError
	if errors.As(err, &uriErr) {
		fmt.Println("field:", uriErr.Field)
	}
	_, err = token.ParseURI("https://example.com/")
	fmt.Println(errors.Is(err, token.ErrNotOTPAuth))
	// Output:
	// field: digits
	// true
}
