package directory

import (
	"fmt"
	netmail "net/mail"
	"strconv"
	"strings"
	"unicode"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/sms"
)

// uacDisabled is userAccountControl's ACCOUNTDISABLE bit.
const uacDisabled = 0x2

// entryValues is what one directory entry gave for a person.
type entryValues struct {
	dn, userID, mail, mobile, lang, uac string
	key                                 string
}

// person maps what the directory gave into a Person: the user ID
// trimmed, the mail a bare address the mailer takes, the number in E.164 form, the
// language a server/lang code (the first of an RFC 2798 list; "" when the
// server does not speak it). A user ID that is not one is an error (no
// person); a bad mail, number or userAccountControl makes the person
// Invalid, saying which.
func person(v entryValues, ad bool) (Person, error) {
	id := strings.TrimSpace(v.userID)
	if id == "" || len(id) > 128 || strings.ContainsFunc(id, unicode.IsControl) {
		return Person{}, fmt.Errorf("directory entry %q: no usable user ID", clip(v.dn))
	}
	p := Person{UserID: id, DN: v.dn, Lang: language(v.lang), Key: strings.ToLower(strings.TrimSpace(v.key))}
	if m := strings.TrimSpace(v.mail); m != "" {
		a, err := netmail.ParseAddress(m)
		plain := mail.Message{From: m, To: m}.Validate() == nil // what the mailer will send to
		if err != nil || a.Name != "" || a.Address != m || len(m) > 254 || !plain {
			p.Invalid = "the mail is not an address"
		} else {
			p.Email = m
		}
	}
	if n := strings.TrimSpace(v.mobile); n != "" {
		phone, err := sms.Normalize(n)
		if err != nil {
			p.Invalid = strings.TrimPrefix(p.Invalid+"; the mobile is not a number in international form", "; ")
		} else {
			p.Phone = phone
		}
	}
	if ad && v.uac != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v.uac), 10, 64)
		if err != nil {
			p.Invalid = strings.TrimPrefix(p.Invalid+"; userAccountControl is not a number", "; ")
		}
		p.Disabled = n&uacDisabled != 0
	}
	return p, nil
}

// language is the server/lang code of an RFC 2798 preferredLanguage
// ("it-IT, en;q=0.8": its first language), or "".
func language(s string) string {
	first, _, _ := strings.Cut(s, ",")
	first, _, _ = strings.Cut(first, ";")
	primary, _, _ := strings.Cut(strings.TrimSpace(first), "-")
	l, err := lang.Parse(primary)
	if err != nil {
		return ""
	}
	return string(l)
}

// clip is s cut to 200 bytes, control characters replaced, for messages.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
