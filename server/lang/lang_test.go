package lang_test

import (
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/lang"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want lang.Lang
		ok   bool
	}{
		{"en", lang.English, true}, {"it", lang.Italian, true}, {" IT ", lang.Italian, true},
		{"fr", "", false}, {"", "", false}, {"italian", "", false},
	}
	for _, tt := range tests {
		got, err := lang.Parse(tt.in)
		if got != tt.want || (err == nil) != tt.ok || (err != nil && !errors.Is(err, lang.ErrUnknown)) {
			t.Errorf("Parse(%q) = %q, %v", tt.in, got, err)
		}
	}
	if got := lang.Or("xx"); got != lang.English {
		t.Errorf("Or of an unknown code: %q", got)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		header string
		want   lang.Lang
	}{
		{"it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7", lang.Italian},
		{"en-GB,en;q=0.9,it;q=0.8", lang.English},
		{"it-CH", lang.Italian},
		{"fr-FR,fr;q=0.9,it;q=0.5", lang.Italian},
		{"de-DE", lang.English},
		{"", lang.English},
		{";;;garbage", lang.English},
	}
	for _, tt := range tests {
		if got := lang.Match(tt.header); got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestDates(t *testing.T) {
	at := time.Date(2026, time.March, 2, 15, 4, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		l                   lang.Lang
		date, clock, moment string
	}{
		{lang.English, "2 March 2026", "14:04 UTC", "2 March 2026 14:04 UTC"},
		{lang.Italian, "2 marzo 2026", "14:04 UTC", "2 marzo 2026, 14:04 UTC"},
	}
	for _, tt := range tests {
		if got := tt.l.Date(at); got != tt.date {
			t.Errorf("%s date: %q", tt.l, got)
		}
		if got := tt.l.Clock(at); got != tt.clock {
			t.Errorf("%s clock: %q", tt.l, got)
		}
		if got := tt.l.DateTime(at); got != tt.moment {
			t.Errorf("%s date and time: %q", tt.l, got)
		}
	}
}

// A browser's Accept-Language header and a language cookie are anyone's
// to write: whatever they hold gives a language the server speaks.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"it-IT,it;q=0.9,en;q=0.5", "en", "", "*", "fr;q=0.1,it;q=abc", "it-IT-u-ca-gregory", "\x00;q=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if l := lang.Match(s); l != lang.English && l != lang.Italian {
			t.Errorf("Match(%q) = %q", s, l)
		}
		if l, err := lang.Parse(s); err == nil && l != lang.English && l != lang.Italian {
			t.Errorf("Parse(%q) = %q", s, l)
		}
	})
}
