package mail

import "github.com/softtoken/softtoken/server/lang"

// words are a language's mails: subjects, and bodies as fmt formats whose
// arguments each composing function names. Times come in already written
// in the language, with the zone named (lang.DateTime).
type words struct {
	// welcome: User ID, enrol URL, passcode, User ID for a URL, expiry.
	welcomeSubject, welcome string
	// temp: User ID, when, until when.
	tempSubject, temp string
	// phone: User ID, when, the new number (masked).
	phoneSubject, phone string
	// token: serial, User ID, when, and tokenReplaced or nothing.
	tokenSubject, token, tokenReplaced string
	// password: User ID, passwordChanged or passwordReset, when.
	passwordSubject, password, passwordChanged, passwordReset string
	// desk: User ID, when, then what the desk did: deskTemp (until when),
	// deskToken (serial) and deskPhone (the number, masked), each a line;
	// deskPending (until when, the confirmation link) when a token or
	// number waits; deskNotMe (the link) always.
	deskSubject, desk, deskTemp, deskToken, deskPhone, deskPending, deskNotMe string
	// answers: User ID, when.
	answersSubject, answers string
}

// wordsOf is the mails of l, English for a language without its own.
func wordsOf(l lang.Lang) words {
	if w, ok := texts[l]; ok {
		return w
	}
	return texts[lang.English]
}

// texts are the mails of each language (a test checks every language has
// them all, with the same arguments).
var texts = map[lang.Lang]words{
	lang.English: {
		welcomeSubject: "Two-factor authentication enrolment",
		welcome: `### Please ignore this e-mail if you have already enrolled ###

Your access uses two-factor authentication: a password, and a passcode
from a soft token.

Your User ID: %[1]s
Enrol URL:    %[2]s
Passcode:     %[3]s

PC soft token
  Open softtoken, press Add, and enter the enrol URL above, your User ID,
  your password (given to you separately) and the passcode %[3]s.
  Then choose two security questions. The token then shows your passcodes.

Smartphone app or SMS
  Open %[2]s?userid=%[4]s
  and sign in with your password and the passcode %[3]s.

The passcode works once. If you do not enrol by %[5]s
(30 days), your account will be disabled.

Your mobile number stays confidential and is used only for SMS passcodes.
`,
		tempSubject: "A temporary passcode was issued for your account",
		temp: `A temporary passcode was issued for your User ID %[1]s on %[2]s.
It is valid until %[3]s.

If you did not ask for it, contact your administrator at once: someone
may know your password.
`,
		phoneSubject: "Your mobile number for passcodes was changed",
		phone: `The mobile number for the SMS passcodes of your User ID %[1]s was
changed on %[2]s to %[3]s.

If you did not change it, contact your administrator at once: someone
may know your password.
`,
		tokenSubject: "A soft token was enrolled for your account",
		token: `A soft token (serial %[1]s) was enrolled for your User ID %[2]s on %[3]s.
%[4]s
If you did not enrol it, contact your administrator at once: someone
may know your password.
`,
		tokenReplaced:   "\nIt replaces the token (or SMS passcodes) you had before, which no longer work.\n",
		passwordSubject: "Your password was changed",
		password: `The password of your User ID %[1]s %[2]s on %[3]s.

If you did not change it or ask for the reset, contact your administrator
at once.
`,
		passwordChanged: "was changed",
		passwordReset:   "was reset by an administrator (you choose a new one at your next sign-in)",
		deskSubject:     "The self-help desk was used for your account",
		desk: `The self-help desk was used for your User ID %[1]s on %[2]s:
`,
		deskTemp:  "  - a temporary passcode was issued, valid until %[1]s\n",
		deskToken: "  - a new soft token (serial %[1]s) was set up\n",
		deskPhone: "  - passcodes by SMS to a new number, %[1]s, were set up\n",
		deskPending: `
Your present token or number keeps working. What was set up replaces it
on %[1]s, or at once when you confirm it here:
  %[2]s
`,
		deskNotMe: `
If this was NOT you, open this link and press the button: what the help
desk issued stops working at once and your account is locked until your
administrator unlocks it.
  %[1]s
`,
		answersSubject: "Your security answers were changed",
		answers: `The answers to the security questions of your User ID %[1]s were
changed on %[2]s. The self-help desk asks them.

If you did not change them, contact your administrator at once: someone
may know your password and your passcode.
`,
	},
	lang.Italian: {
		welcomeSubject: "Attivazione dell'autenticazione a due fattori",
		welcome: `### Ignori questa e-mail se ha già eseguito l'attivazione ###

Il Suo accesso usa l'autenticazione a due fattori: una password e un
codice di accesso generato da un soft token.

User ID:            %[1]s
URL di attivazione: %[2]s
Codice di accesso:  %[3]s

Soft token sul PC
  Apra softtoken e prema Aggiungi. Nei campi URL di registrazione,
  User ID, Password e Passcode inserisca l'URL di attivazione indicato
  sopra, il Suo User ID, la password (ricevuta separatamente) e il codice
  di accesso %[3]s. Scelga poi due domande di sicurezza: da quel momento
  il token mostra i Suoi codici di accesso.

App per smartphone o SMS
  Apra %[2]s?userid=%[4]s
  e acceda con la password e il codice di accesso %[3]s.

Il codice di accesso vale una sola volta. Se non esegue l'attivazione
entro il %[5]s
(30 giorni), il Suo account verrà disattivato.

Il Suo numero di cellulare resta riservato ed è usato solo per i codici
di accesso via SMS.
`,
		tempSubject: "È stato rilasciato un codice temporaneo per il Suo account",
		temp: `Per il Suo User ID %[1]s è stato rilasciato un codice di accesso
temporaneo il %[2]s. È valido fino al %[3]s.

Se non lo ha richiesto Lei, contatti subito l'amministratore: qualcuno
potrebbe conoscere la Sua password.
`,
		phoneSubject: "Il numero di cellulare per i codici di accesso è cambiato",
		phone: `Il numero di cellulare per i codici di accesso via SMS del Suo User ID
%[1]s è stato cambiato il %[2]s in %[3]s.

Se non lo ha cambiato Lei, contatti subito l'amministratore: qualcuno
potrebbe conoscere la Sua password.
`,
		tokenSubject: "È stato attivato un soft token per il Suo account",
		token: `Un soft token (numero di serie %[1]s) è stato attivato per il Suo
User ID %[2]s il %[3]s.
%[4]s
Se non lo ha attivato Lei, contatti subito l'amministratore: qualcuno
potrebbe conoscere la Sua password.
`,
		tokenReplaced:   "\nSostituisce il token (o i codici via SMS) che aveva prima, che non funzionano più.\n",
		passwordSubject: "La Sua password è stata cambiata",
		password: `La password del Suo User ID %[1]s %[2]s il %[3]s.

Se non l'ha cambiata Lei e non ha chiesto la reimpostazione, contatti
subito l'amministratore.
`,
		passwordChanged: "è stata cambiata",
		passwordReset:   "è stata reimpostata da un amministratore (ne sceglierà una nuova al prossimo accesso)",
		deskSubject:     "È stato usato l'help desk self-service per il Suo account",
		desk: `L'help desk self-service è stato usato per il Suo User ID %[1]s il %[2]s:
`,
		deskTemp:  "  - è stato rilasciato un codice di accesso temporaneo, valido fino al %[1]s\n",
		deskToken: "  - è stato configurato un nuovo soft token (numero di serie %[1]s)\n",
		deskPhone: "  - sono stati configurati i codici via SMS verso un nuovo numero, %[1]s\n",
		deskPending: `
Il token o il numero attuale continua a funzionare. Ciò che è stato
configurato lo sostituirà il %[1]s, oppure subito se lo conferma qui:
  %[2]s
`,
		deskNotMe: `
Se NON è stato Lei, apra questo collegamento e prema il pulsante: ciò che
l'help desk ha rilasciato smette subito di funzionare e il Suo account
resta bloccato finché l'amministratore non lo sblocca.
  %[1]s
`,
		answersSubject: "Le Sue risposte di sicurezza sono state cambiate",
		answers: `Le risposte alle domande di sicurezza del Suo User ID %[1]s sono state
cambiate il %[2]s. L'help desk self-service le chiede.

Se non le ha cambiate Lei, contatti subito l'amministratore: qualcuno
potrebbe conoscere la Sua password e il Suo codice di accesso.
`,
	},
}
