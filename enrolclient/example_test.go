package enrolclient_test

import (
	"context"
	"fmt"
	"net/url"

	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/token/keyringstore"
)

// The enrol URL of a welcome mail, or just the server's name as a user
// types it, becomes the enrol URL kept with the token and the websocket
// URL the enrolment talks to. Plain http:// is refused for any server
// but this computer.
func ExampleURLs() {
	enrolURL, wsURL, err := enrolclient.URLs("secureauth.example.com")
	fmt.Println(enrolURL, wsURL, err)
	enrolURL, wsURL, _ = enrolclient.URLs("http://127.0.0.1:8443/secenrol/?userid=demo")
	fmt.Println(enrolURL, wsURL)
	_, _, err = enrolclient.URLs("http://enrol.bank.example/secenrol/")
	fmt.Println(enrolclient.KindOf(err) == enrolclient.KindInsecure)
	// Output:
	// https://secureauth.example.com/secenrol/ wss://secureauth.example.com/ws <nil>
	// http://127.0.0.1:8443/secenrol/ ws://127.0.0.1:8443/ws
	// true
}

// Begin checks what the user typed before it touches the network, and
// every failure names the input it concerns ([enrolclient.FieldOf]), so
// that a form shows the message next to that input.
func ExampleClient_Begin() {
	store, err := keyringstore.New(keyringstore.Config{Backend: &keyringstore.MemoryBackend{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	client := &enrolclient.Client{Store: store}
	for _, p := range []enrolclient.Params{
		{URL: "http://enrol.bank.example/secenrol/", UserID: "trader", Password: "secret", Passcode: "123456"},
		{URL: "enrol.bank.example", UserID: "trader", Passcode: "123456"},
		{URL: "enrol.bank.example", UserID: "trader", Password: "secret", Passcode: "12a"},
	} {
		e, err := client.Begin(context.Background(), p)
		if err != nil {
			fmt.Printf("%s: %v\n", enrolclient.FieldOf(err), err)
			continue
		}
		e.Close()
	}
	// Output:
	// url: the enrol URL must start with https:// (http:// is allowed only for a server on this computer)
	// password: type your password
	// passcode: type the passcode from your welcome mail (6 digits), a temporary passcode (8 digits), or the one your old PC shows now
}

// Windows' Internet Settings name the proxy to use, and the hosts reached
// without it: here every name without a dot (<local>) and the intranet.
func ExampleInternetSettings_ProxyFunc() {
	proxy := enrolclient.InternetSettings{
		Enable:   true,
		Server:   "http=web.bank.example:80;https=proxy.bank.example:8080",
		Override: "*.intranet;<local>",
	}.ProxyFunc()
	for _, enrol := range []string{
		"https://enrol.bank.example/secenrol/",
		"https://secureauth/secenrol/",
		"https://enrol.intranet/secenrol/",
	} {
		u, _ := url.Parse(enrol)
		p, err := proxy(u)
		switch {
		case err != nil:
			fmt.Println(enrol, err)
		case p == nil:
			fmt.Println(enrol, "direct")
		default:
			fmt.Println(enrol, "through", p)
		}
	}
	// Output:
	// https://enrol.bank.example/secenrol/ through http://proxy.bank.example:8080
	// https://secureauth/secenrol/ direct
	// https://enrol.intranet/secenrol/ direct
}
