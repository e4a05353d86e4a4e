package directory

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/softtoken/softtoken/server/sms"
)

func TestPerson(t *testing.T) {
	for _, tc := range []struct {
		name    string
		v       entryValues
		ad      bool
		want    Person
		wantErr bool
	}{
		{"full", entryValues{dn: "uid=a", userID: " alice ", mail: "a@bank.test", mobile: "0044 7700-900123", lang: "it"}, false,
			Person{UserID: "alice", DN: "uid=a", Email: "a@bank.test", Phone: "+447700900123", Lang: "it"}, false},
		{"no user ID", entryValues{dn: "uid=a"}, false, Person{}, true},
		{"control character", entryValues{userID: "al\nice"}, false, Person{}, true},
		{"named mail", entryValues{userID: "a", mail: "Alice <a@bank.test>"}, false, Person{UserID: "a", Invalid: "the mail is not an address"}, false},
		{"unknown language", entryValues{userID: "a", lang: "de-DE"}, false, Person{UserID: "a"}, false},
		{"disabled on AD", entryValues{userID: "a", uac: "514"}, true, Person{UserID: "a", Disabled: true}, false},
		{"enabled on AD", entryValues{userID: "a", uac: "512"}, true, Person{UserID: "a"}, false},
		{"uac ignored elsewhere", entryValues{userID: "a", uac: "514"}, false, Person{UserID: "a"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := person(tc.v, tc.ad)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("person = %+v, %v; want %+v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// FuzzPerson feeds the mapping whatever a directory could send back: it
// never panics, and what it keeps is clean.
func FuzzPerson(f *testing.F) {
	f.Add("uid=a,dc=x", "alice", "a@bank.test", "+447700900123", "it, en;q=0.5", "514", true)
	f.Add("", "\x00", "<@>", "00", ";", "x", false)
	f.Fuzz(func(t *testing.T, dn, id, mail, mobile, lng, uac string, ad bool) {
		p, err := person(entryValues{dn: dn, userID: id, mail: mail, mobile: mobile, lang: lng, uac: uac}, ad)
		if err != nil {
			if p != (Person{}) {
				t.Fatalf("an error with a person: %+v", p)
			}
			return
		}
		if p.UserID == "" || len(p.UserID) > 128 || strings.ContainsFunc(p.UserID, unicode.IsControl) || p.UserID != strings.TrimSpace(p.UserID) {
			t.Fatalf("user ID %q kept", p.UserID)
		}
		if p.Phone != "" {
			if n, err := sms.Normalize(p.Phone); err != nil || n != p.Phone {
				t.Fatalf("phone %q kept", p.Phone)
			}
		}
		if p.Email != "" && (!utf8.ValidString(p.Email) || strings.ContainsAny(p.Email, "\r\n<> ") || len(p.Email) > 254) {
			t.Fatalf("mail %q kept", p.Email)
		}
		if p.Lang != "" && p.Lang != "en" && p.Lang != "it" {
			t.Fatalf("language %q kept", p.Lang)
		}
	})
}
