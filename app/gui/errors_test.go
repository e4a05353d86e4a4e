package gui_test

import (
	"context"
	"fmt"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/enrolclient/pac"
)

// TestEnrolErrorMessages: the Add form words an enrolment error by its
// kind, under the field it concerns, naming the server; details only
// English can give stay in English.
func TestEnrolErrorMessages(t *testing.T) {
	const detail = "the proxy proxy.example:3128 asks for a user name and password (407 Proxy Authentication Required)"
	tests := []struct {
		language string
		err      *enrolclient.Error
		field    func(*gui.AddForm) *widget.Label
		want     string
	}{
		{gui.English, &enrolclient.Error{Kind: enrolclient.KindUnreachable, Field: "url"}, urlError,
			"Cannot reach the enrolment server 2fa.example.com: check the enrol URL and your network connection."},
		{gui.Italian, &enrolclient.Error{Kind: enrolclient.KindUnreachable, Field: "url"}, urlError,
			"Impossibile raggiungere il server di registrazione 2fa.example.com: controllare l'URL di registrazione e la connessione di rete."},
		{gui.English, &enrolclient.Error{Kind: enrolclient.KindWrongLogin, Field: "password"}, passwordError,
			"The user ID or password is wrong: type them as in your welcome mail."},
		{gui.English, &enrolclient.Error{Kind: enrolclient.KindProxy, Msg: detail}, formError, "The" + detail[3:] + "."},
		{gui.Italian, &enrolclient.Error{Kind: enrolclient.KindProxy, Msg: detail}, formError,
			"Il proxy di questo PC non ha lasciato passare la connessione verso il server di registrazione: controllare l'impostazione del proxy o rivolgersi all'amministratore."},
		{gui.Italian, &enrolclient.Error{Kind: enrolclient.KindProxy, Msg: detail, Proxy: "proxy.example:3128", ProxyAnswer: "407 Proxy Authentication Required"}, formError,
			"Il proxy proxy.example:3128 non ha lasciato passare la connessione verso il server di registrazione (risposta del proxy: 407 Proxy Authentication Required): controllare l'impostazione del proxy o rivolgersi all'amministratore."},
		{gui.Italian, &enrolclient.Error{Kind: enrolclient.KindProxy, Msg: "the proxy 10.0.0.1:8080 does not answer", Proxy: "10.0.0.1:8080"}, formError,
			"Il proxy 10.0.0.1:8080 non risponde: controllare l'impostazione del proxy o rivolgersi all'amministratore."},
		{gui.Italian, &enrolclient.Error{Kind: enrolclient.KindProxy, Msg: detail, ProxyScript: "http://wpad.bank.example/wpad.dat", Err: fmt.Errorf("%w: 404", pac.ErrFetch)}, formError,
			"Impossibile scaricare lo script di configurazione automatica del proxy di questo PC (http://wpad.bank.example/wpad.dat): controllare la connessione di rete o rivolgersi all'amministratore."},
		{gui.Italian, &enrolclient.Error{Kind: enrolclient.KindProxy, Msg: detail, ProxyScript: "file:///C:/proxy.pac", Err: pac.ErrScript}, formError,
			"Lo script di configurazione automatica del proxy di questo PC (file:///C:/proxy.pac) non funziona: rivolgersi all'amministratore."},
		{gui.Italian, &enrolclient.Error{Kind: enrolclient.KindProxy, Msg: detail, ProxyScript: "http://wpad/wpad.dat", Proxy: "10.0.0.1:8080, DIRECT", Err: enrolclient.ErrNoProxyAnswers}, formError,
			"Nessuno dei proxy indicati dallo script di configurazione automatica del proxy di questo PC (http://wpad/wpad.dat) risponde (10.0.0.1:8080, DIRECT): controllare la connessione di rete o rivolgersi all'amministratore."},
		{gui.Italian, &enrolclient.Error{Kind: enrolclient.KindProxy, Msg: detail, ProxyScript: "http://wpad/wpad.dat", Proxy: "10.0.0.1:8080"}, formError,
			"Il proxy 10.0.0.1:8080 non risponde: controllare l'impostazione del proxy o rivolgersi all'amministratore."},
		{gui.Italian, &enrolclient.Error{Kind: enrolclient.KindProxy, Msg: detail, Proxy: "10.0.0.1:8080", Err: fmt.Errorf("%w: no NTLM here", enrolclient.ErrProxySignIn)}, formError,
			"Il proxy 10.0.0.1:8080 chiede un accesso Windows (NTLM) che softtoken non è riuscito a fare su questo PC: rivolgersi all'amministratore, oppure indicare al proxy un nome utente e una password nella variabile HTTPS_PROXY."},
		{gui.Italian, &enrolclient.Error{Kind: enrolclient.KindInput, Field: "passcode"}, passcodeError,
			"Digitare il passcode della mail di benvenuto (6 cifre), un passcode temporaneo (8 cifre) o quello che il vecchio PC mostra ora."},
	}
	for _, tc := range tests {
		t.Run(tc.language, func(t *testing.T) {
			t.Setenv("LANGUAGE", tc.language)
			t.Cleanup(func() { gui.SetLanguage(gui.English) })
			a, store := memApp(t)
			w := gui.New(a, gui.Config{Store: store, DefaultEnrolURL: "https://2fa.example.com/secenrol/",
				Begin: func(context.Context, enrolclient.Params) (*enrolclient.Enrolment, error) { return nil, tc.err }})
			test.Tap(w.AddButton)
			test.Tap(w.Add.EnrolButton)
			waitFor(t, "the enrolment's outcome", steps(w.Add, 1))
			if l := tc.field(w.Add); !l.Visible() || l.Text != tc.want {
				t.Errorf("kind %d: shown %v, %q; want %q", tc.err.Kind, l.Visible(), l.Text, tc.want)
			}
		})
	}
}

func urlError(f *gui.AddForm) *widget.Label      { return f.URLError }
func passwordError(f *gui.AddForm) *widget.Label { return f.PasswordError }
func passcodeError(f *gui.AddForm) *widget.Label { return f.PasscodeError }
func formError(f *gui.AddForm) *widget.Label     { return f.FormError }
