package radius

import (
	"errors"
	"fmt"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
)

// What a challenge's Reply-Message asks for.
const (
	askPasscode  = "passcode"
	askSMS       = "sms"     // a passcode was sent by SMS to %s
	askPreloaded = "preload" // the one for this logon that came by SMS
	askNoSMS     = "nosms"   // none could be sent: a temporary passcode
)

// texts are each language's Reply-Messages by what they ask. A VPN client
// shows them as a prompt: short, one line.
var texts = map[lang.Lang]map[string]string{
	lang.English: {
		askPasscode:  "Enter your passcode",
		askSMS:       "A passcode was sent by SMS to %s: enter it",
		askPreloaded: "Enter the passcode for this logon that came by SMS",
		askNoSMS:     "No SMS could be sent: enter a temporary passcode from the self-help desk",
	},
	lang.Italian: {
		askPasscode:  "Inserisca il codice di accesso",
		askSMS:       "Le è stato inviato un codice di accesso via SMS al numero %s: lo inserisca",
		askPreloaded: "Inserisca il codice di accesso per questo accesso ricevuto via SMS",
		askNoSMS:     "Non è stato possibile inviare l'SMS: inserisca un codice temporaneo del servizio di assistenza",
	},
}

// prompt is the Reply-Message of the challenge for the sign-in in, in
// the user's language.
func prompt(in account.SignIn) string {
	t, ok := texts[lang.Or(in.User.Lang)]
	if !ok {
		t = texts[lang.English]
	}
	switch {
	case !in.User.SMS:
		return t[askPasscode]
	case in.SMSErr == nil && in.SentTo != "":
		return fmt.Sprintf(t[askSMS], in.SentTo)
	case errors.Is(in.SMSErr, account.ErrSMSPreloaded):
		return t[askPreloaded]
	}
	return t[askNoSMS]
}
