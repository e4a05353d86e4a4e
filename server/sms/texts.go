package sms

import (
	"fmt"

	"github.com/softtoken/softtoken/server/lang"
)

// What a code is for: a passcode to sign in with, a passcode sent before
// the next logon needs it (pre-loaded), or a code that confirms a new
// number.
const (
	ForSignIn    = "passcode"
	ForNextLogon = "next"
	ForNumber    = "number"
)

// texts are each language's text messages by purpose, fmt formats of the
// code and its minutes. They keep to the GSM alphabet's letters, so that
// a message fits one SMS.
var texts = map[lang.Lang]map[string]string{
	lang.English: {
		ForSignIn:    "softtoken passcode: %s. It works once, for %d minutes. Never give it to anyone.",
		ForNumber:    "softtoken code to confirm this number: %s. It works once, for %d minutes. Never give it to anyone.",
		ForNextLogon: "softtoken passcode for your next logon: %s. It works once, within %d days. Keep this message; never give it to anyone.",
	},
	lang.Italian: {
		ForSignIn:    "Codice di accesso softtoken: %s. Vale una sola volta, per %d minuti. Non lo comunichi mai a nessuno.",
		ForNumber:    "Codice softtoken per confermare questo numero: %s. Vale una sola volta, per %d minuti. Non lo comunichi mai a nessuno.",
		ForNextLogon: "Codice softtoken per il prossimo accesso: %s. Vale una sola volta, entro %d giorni. Lo conservi e non lo comunichi mai a nessuno.",
	},
}

// CodeText is the text message of a code for purpose (ForSignIn,
// ForNumber) in the user's language l (English for one without its own):
// the code, how long it works, and the warning never to give it away.
func CodeText(l lang.Lang, purpose, code string, minutes int) string {
	t, ok := texts[l]
	if !ok {
		t = texts[lang.English]
	}
	return fmt.Sprintf(t[purpose], code, minutes)
}

// PreloadText is the text message of a pre-loaded passcode, the one for
// the user's next logon, in the user's language l: the code, the days it
// works within (at least 1), and the warning never to give it away.
func PreloadText(l lang.Lang, code string, days int) string {
	return CodeText(l, ForNextLogon, code, max(days, 1))
}
