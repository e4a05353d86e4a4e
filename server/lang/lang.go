// Package lang names the languages the server speaks to its users
// (English and Italian: the exchange's users trade in London and Milan),
// picks one from a browser's Accept-Language header, and writes dates and
// times in each. The enrol site and help desk (server/web), the mails
// (server/mail) and the text messages (server/sms) take a Lang; a user's
// own is stored with them (docs/web.md, "Languages"). The command line
// stays English.
package lang

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Lang is a language the server speaks, as its ISO 639-1 code.
type Lang string

// The languages; English is the default.
const (
	English Lang = "en"
	Italian Lang = "it"
)

// All are the languages, in the order a page offers them.
var All = []Lang{English, Italian}

// ErrUnknown is a language the server does not speak.
var ErrUnknown = errors.New("not a language of the server")

// Parse reads a language code ("en", "it", any case, spaces around).
func Parse(s string) (Lang, error) {
	l := Lang(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range All {
		if l == k {
			return l, nil
		}
	}
	return "", fmt.Errorf("%w: %q (say %s)", ErrUnknown, s, Codes())
}

// Codes lists the codes, "en or it", for messages.
func Codes() string {
	codes := make([]string, len(All))
	for i, l := range All {
		codes[i] = string(l)
	}
	return strings.Join(codes, " or ")
}

// Or is s as a language, or English when s is none (such as the empty
// language of a user stored before languages existed).
func Or(s string) Lang {
	if l, err := Parse(s); err == nil {
		return l
	}
	return English
}

var matcher = language.NewMatcher([]language.Tag{language.English, language.Italian})

// Match picks the language a browser's Accept-Language header prefers;
// English when it names none of ours.
func Match(acceptLanguage string) Lang {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return English
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return English
	}
	return All[i]
}

// Name is the language's name in itself, for a page's language switch.
func (l Lang) Name() string {
	if l == Italian {
		return "Italiano"
	}
	return "English"
}

var months = map[Lang][12]string{
	English: {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	Italian: {"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"},
}

// Date writes t's day in UTC: "2 January 2026", "2 gennaio 2026".
func (l Lang) Date(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%d %s %d", t.Day(), months[Or(string(l))][t.Month()-1], t.Year())
}

// Clock writes t's time of day in UTC, naming the zone: "14:05 UTC" (the
// same in both languages).
func (l Lang) Clock(t time.Time) string { return t.UTC().Format("15:04 UTC") }

// DateTime writes t in UTC with the zone named: "2 January 2026 14:05
// UTC", "2 gennaio 2026, 14:05 UTC".
func (l Lang) DateTime(t time.Time) string {
	sep := " "
	if l == Italian {
		sep = ", "
	}
	return l.Date(t) + sep + l.Clock(t)
}
