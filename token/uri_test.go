package token_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/token"
)

const rfcSecretB32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"

func TestParseURI(t *testing.T) {
	rfc := token.Secret("12345678901234567890")
	tests := []struct {
		uri  string
		want token.Token
	}{
		{
			"otpauth://totp/Example:alice@google.com?secret=" + rfcSecretB32 + "&issuer=Example",
			token.Token{Label: "alice@google.com (Example)", Issuer: "Example", Account: "alice@google.com", Secret: rfc, Params: token.DefaultParams()},
		},
		{
			// Lower-case secret with padding, %3A separator, leading %20, issuer only in the label.
			"otpauth://TOTP/ACME%20Co%3A%20john.doe@email.com?secret=" + strings.ToLower(rfcSecretB32) + "====&algorithm=sha256&digits=8&period=60",
			token.Token{Label: "john.doe@email.com (ACME Co)", Issuer: "ACME Co", Account: "john.doe@email.com", Secret: rfc,
				Params: token.Params{Type: token.TOTP, Algorithm: token.SHA256, Digits: 8, Period: 60}},
		},
		{
			"otpauth://hotp/bob?secret=" + rfcSecretB32 + "&counter=42&algorithm=SHA512",
			token.Token{Label: "bob", Account: "bob", Secret: rfc,
				Params: token.Params{Type: token.HOTP, Algorithm: token.SHA512, Digits: 6, Counter: 42}},
		},
		{
			// Issuer only as a parameter; unknown parameters ignored.
			"otpauth://totp/carol?secret=" + rfcSecretB32 + "&issuer=Bank&image=https%3A%2F%2Fexample.com%2Fa.png",
			token.Token{Label: "carol (Bank)", Issuer: "Bank", Account: "carol", Secret: rfc, Params: token.DefaultParams()},
		},
	}
	for _, tc := range tests {
		t.Run(tc.want.Label, func(t *testing.T) {
			got, err := token.ParseURI(tc.uri)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v %+v\nwant %+v %+v", got, got.Params, tc.want, tc.want.Params)
			}
		})
	}
}

func TestParseURIErrors(t *testing.T) {
	s := "secret=" + rfcSecretB32
	tests := []struct {
		uri, field, want string
	}{
		{"https://example.com/", "uri", "not an otpauth:// URI"},
		{"WIFI:S:home;T:WPA;P:pw;;", "uri", "not an otpauth:// URI"},
		{"otpauth://totp/a%zz?" + s, "uri", "not a valid URI"},
		{"otpauth://totp/a?" + s + "&x=%zz", "uri", "malformed"},
		{"otpauth://totp/a?" + s + strings.Repeat("&x=y", 1100), "uri", "too long"},
		{"otpauth://user@totp/a?" + s, "uri", "unexpected user"},
		{"otpauth:///a?" + s, "type", "missing"},
		{"otpauth://motp/a?" + s, "type", `"motp" is not supported`},
		{"otpauth://totp/?" + s, "label", "missing"},
		{"otpauth://totp/Example:?" + s, "label", "account name is empty"},
		{"otpauth://totp/a\x01b?" + s, "uri", "not a valid URI"},
		{"otpauth://totp/a%01b?" + s, "label", "control characters"},
		{"otpauth://totp/A:b?" + s + "&issuer=B", "issuer", "differs"},
		{"otpauth://totp/b?" + s + "&issuer=B:C", "issuer", "must not contain ':'"},
		{"otpauth://totp/a", "secret", "missing"},
		{"otpauth://totp/a?secret=", "secret", "empty"},
		{"otpauth://totp/a?secret=ABC1", "secret", "not valid base32"},
		{"otpauth://totp/a?secret=GEZDGNBV", "secret", "too short"},
		{"otpauth://totp/a?" + s + "&secret=" + rfcSecretB32, "secret", "more than once"},
		{"otpauth://totp/a?" + s + "&algorithm=MD5", "algorithm", `"MD5" is not supported`},
		{"otpauth://totp/a?" + s + "&digits=7", "digits", `"7" is not supported`},
		{"otpauth://totp/a?" + s + "&digits=six", "digits", `"six" is not supported`},
		{"otpauth://totp/a?" + s + "&period=15", "period", `"15" seconds is not supported`},
		{"otpauth://hotp/a?" + s, "counter", "missing"},
		{"otpauth://hotp/a?" + s + "&counter=-1", "counter", "not a whole number"},
		{"otpauth://hotp/a?" + s + "&counter=99999999999999999999", "counter", "not a whole number"},
		{"otpauth://totp/" + strings.Repeat("x", 70) + "?" + s, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.field+"/"+tc.want, func(t *testing.T) {
			tok, err := token.ParseURI(tc.uri)
			if tc.field == "" {
				// A long account is accepted, its label shortened.
				if err != nil || len([]rune(tok.Label)) != 64 {
					t.Fatalf("got %v, label %q", err, tok.Label)
				}
				return
			}
			var ue *token.URIError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v, want a *URIError", err)
			}
			if ue.Field != tc.field || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got field %q, %q; want field %q containing %q", ue.Field, err, tc.field, tc.want)
			}
			if strings.Contains(err.Error(), rfcSecretB32) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
	if _, err := token.ParseURI("https://example.com/"); !errors.Is(err, token.ErrNotOTPAuth) {
		t.Errorf("a non-otpauth text: got %v, want ErrNotOTPAuth", err)
	}
}

func TestURIRoundTrip(t *testing.T) {
	tests := []token.Token{
		{Issuer: "ACME Co", Account: "john:doe/é?&=%", Secret: token.Secret("12345678901234567890"),
			Params: token.Params{Type: token.TOTP, Algorithm: token.SHA512, Digits: 8, Period: 60}},
		{Account: "bob", Secret: token.Secret("0123456789"),
			Params: token.Params{Type: token.HOTP, Algorithm: token.SHA1, Digits: 6, Counter: 1<<64 - 1}},
	}
	for _, want := range tests {
		want.Label = token.DefaultLabel(want.Issuer, want.Account)
		got, err := token.ParseURI(want.URI())
		if err != nil {
			t.Fatalf("%s: %v", want.URI(), err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %s:\ngot  %#v %+v\nwant %#v %+v", want.URI(), got, got.Params, want, want.Params)
		}
	}
}

// FuzzParseURI checks that no input crashes the parser, that every error is
// a *URIError, and that whatever parses writes back to a URI that parses to
// the same token.
func FuzzParseURI(f *testing.F) {
	for _, seed := range []string{
		"otpauth://totp/Example:alice@google.com?secret=" + rfcSecretB32 + "&issuer=Example",
		"otpauth://hotp/bob?secret=" + rfcSecretB32 + "&counter=42&algorithm=SHA512&digits=8",
		"otpauth://totp/ACME%20Co%3A%20john?secret=gezdgnbv gy3tqojq====&period=60",
		"otpauth://totp/a?secret=x&secret=y", "otpauth://", "https://example.com", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := token.ParseURI(s)
		if err != nil {
			var ue *token.URIError
			if !errors.As(err, &ue) {
				t.Fatalf("error is not a *URIError: %v", err)
			}
			return
		}
		if err := tok.Validate(); err != nil {
			t.Fatalf("ParseURI returned an invalid token: %v", err)
		}
		again, err := token.ParseURI(tok.URI())
		if err != nil {
			t.Fatalf("written URI does not parse: %v", err)
		}
		if !reflect.DeepEqual(again, tok) {
			t.Fatalf("round trip changed the token:\n%#v %+v\n%#v %+v", tok, tok.Params, again, again.Params)
		}
	})
}
