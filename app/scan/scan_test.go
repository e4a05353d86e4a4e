package scan_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/oneswipe"
)

const uri = "otpauth://totp/Example:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example"

func TestClassify(t *testing.T) {
	now := time.Unix(1800000000, 0)
	enrol := oneswipe.Enrolment{EnrolURL: "https://2fa.example.com/secenrol/", UserID: "trader", Code: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", Expires: now.Add(10 * time.Minute)}
	expired := enrol
	expired.Expires = now
	tests := []struct {
		name, text string
		want       string // "token", "enrol", or the text of the error
		err        error
	}{
		{"otpauth", uri, "token", nil},
		{"One Swipe enrolment", enrol.String(), "enrol", nil},
		{"a web address", "https://example.com/menu", "", scan.ErrNotToken},
		{"a sign-in code", oneswipe.SignIn{UserID: "u", Passcode: "123456"}.String(), "", scan.ErrSignInCode},
		{"malformed otpauth", "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ&digits=7", "cannot be used", &token.URIError{}},
		{"malformed One Swipe", "softtoken://enrol?v=1&url=ftp://x", "cannot be used", &oneswipe.Error{}},
		{"expired One Swipe", expired.String(), "expired", nil},
	}
	for _, tt := range tests {
		f, err := scan.Classify(tt.text, now)
		switch tt.want {
		case "token":
			if err != nil || f.Token == nil || f.Enrolment != nil || f.Token.Account != "alice@example.com" {
				t.Errorf("%s: %+v, %v", tt.name, f, err)
			}
			continue
		case "enrol":
			if err != nil || f.Enrolment == nil || f.Token != nil || *f.Enrolment != enrol {
				t.Errorf("%s: %+v, %v", tt.name, f, err)
			}
			continue
		}
		if err == nil || f.Token != nil || f.Enrolment != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %+v, %v; want an error with %q", tt.name, f, err, tt.want)
		}
		switch target := tt.err.(type) {
		case nil:
		case *token.URIError:
			if !errors.As(err, &target) {
				t.Errorf("%s: %v does not wrap %T", tt.name, err, tt.err)
			}
		case *oneswipe.Error:
			if !errors.As(err, &target) {
				t.Errorf("%s: %v does not wrap %T", tt.name, err, tt.err)
			}
		default:
			if !errors.Is(err, tt.err) {
				t.Errorf("%s: %v is not %v", tt.name, err, tt.err)
			}
		}
	}
}
