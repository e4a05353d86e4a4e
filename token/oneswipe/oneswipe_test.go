package oneswipe

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	code, err := NewCode()
	if err != nil {
		t.Fatal(err)
	}
	e := Enrolment{EnrolURL: "https://2fa.example.com/secenrol/", UserID: "trader one", Code: code, Expires: time.Unix(1800000000, 0)}
	got, err := Parse(e.String())
	if err != nil {
		t.Fatalf("Parse(%s): %v", e, err)
	}
	if got != any(e) {
		t.Errorf("enrolment round trip: got %#v, want %#v", got, e)
	}
	s := SignIn{UserID: "trader&1=x", Passcode: "012345", Serial: "ST0123456789"}
	got, err = Parse(s.String())
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	if got != any(s) {
		t.Errorf("sign-in round trip: got %#v, want %#v", got, s)
	}
}

func TestNewCodeIsRandomBase32(t *testing.T) {
	a, _ := NewCode()
	b, _ := NewCode()
	if len(a) != CodeLen || a == b || strings.Trim(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Errorf("NewCode gave %q and %q", a, b)
	}
}

func TestParseErrors(t *testing.T) {
	const code = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	enrol := "softtoken://enrol?v=1&url=https://h/secenrol/&userid=u&code=" + code + "&exp=1800000000"
	tests := []struct {
		in, field   string
		notOneSwipe bool
	}{
		{in: "otpauth://totp/x?secret=AAAA", field: "uri", notOneSwipe: true},
		{in: "hello", field: "uri", notOneSwipe: true},
		{in: "softtoken://enrol?v=1&url=https://h/&userid=u&code=" + code + "&exp=1&" + strings.Repeat("x", 1100), field: "uri"},
		{in: "softtoken://other?v=1", field: "kind"},
		{in: "softtoken://enrol?v=2", field: "v"},
		{in: "softtoken://enrol?v=1&v=1", field: "v"},
		{in: "softtoken://enrol/path?v=1", field: "uri"},
		{in: "softtoken://u@enrol?v=1", field: "uri"},
		{in: "softtoken://enrol?v=1&url=ftp://h/&userid=u&code=" + code + "&exp=1", field: "url"},
		{in: "softtoken://enrol?v=1&url=https:///x&userid=u&code=" + code + "&exp=1", field: "url"},
		{in: "softtoken://enrol?v=1&url=https://h/&code=" + code + "&exp=1", field: "userid"},
		{in: "softtoken://enrol?v=1&url=https://h/&userid=a%0Ab&code=" + code + "&exp=1", field: "userid"},
		{in: "softtoken://enrol?v=1&url=https://h/&userid=u&code=abc&exp=1", field: "code"},
		{in: "softtoken://enrol?v=1&url=https://h/&userid=u&code=" + strings.ToLower(code) + "&exp=1", field: "code"},
		{in: "softtoken://enrol?v=1&url=https://h/&userid=u&code=" + code + "&exp=soon", field: "exp"},
		{in: "softtoken://signin?v=1&userid=u&passcode=12345", field: "passcode"},
		{in: "softtoken://signin?v=1&userid=u&passcode=12345a", field: "passcode"},
		{in: "softtoken://signin?v=1&userid=u&passcode=123456&serial=a/b", field: "serial"},
		{in: "softtoken://signin?v=1&passcode=123456", field: "userid"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var fe *Error
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("Parse(%.60q) = %v, want an error in field %q", tt.in, err, tt.field)
			continue
		}
		if errors.Is(err, ErrNotOneSwipe) != tt.notOneSwipe {
			t.Errorf("Parse(%.60q): errors.Is(ErrNotOneSwipe) = %v, want %v", tt.in, !tt.notOneSwipe, tt.notOneSwipe)
		}
		if strings.Contains(err.Error(), code) {
			t.Errorf("Parse(%.60q): error %q holds the secret", tt.in, err)
		}
	}
	if _, err := Parse(enrol); err != nil {
		t.Fatalf("the valid base case fails: %v", err)
	}
	if _, err := ParseSignIn(enrol); err == nil {
		t.Error("ParseSignIn accepted an enrolment code")
	}
	if _, err := ParseEnrolment("softtoken://signin?v=1&userid=u&passcode=123456"); err == nil {
		t.Error("ParseEnrolment accepted a sign-in code")
	}
}

func TestSecretsStayOutOfFormatting(t *testing.T) {
	e := Enrolment{EnrolURL: "https://h/", UserID: "u", Code: "SECRETSECRETSECRETSECRETSE"}
	s := SignIn{UserID: "u", Passcode: "987654"}
	for _, out := range []string{fmt.Sprintf("%#v", e), fmt.Sprintf("%#v", s)} {
		if strings.Contains(out, "SECRET") || strings.Contains(out, "987654") {
			t.Errorf("%%#v shows a secret: %s", out)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("softtoken://enrol?v=1&url=https://h/secenrol/&userid=u&code=ABCDEFGHIJKLMNOPQRSTUVWXYZ&exp=1800000000")
	f.Add("softtoken://signin?v=1&userid=u&passcode=123456&serial=ST1")
	f.Add("softtoken://enrol?v=1&url=%zz")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			if v != nil {
				t.Fatalf("Parse returned %#v with error %v", v, err)
			}
			return
		}
		// What parses must print back to something that parses the same.
		var again any
		switch p := v.(type) {
		case Enrolment:
			again, err = Parse(p.String())
		case SignIn:
			again, err = Parse(p.String())
		default:
			t.Fatalf("Parse returned %T", v)
		}
		if err != nil || again != v {
			t.Fatalf("round trip of %q: %#v, %v; first %#v", s, again, err, v)
		}
	})
}
