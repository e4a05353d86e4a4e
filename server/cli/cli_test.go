package cli_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/cli"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

type admin struct {
	t   *testing.T
	db  string
	env map[string]string
	// logs, if set, gets serve's log.
	logs io.Writer
	// metrics, if set, gets the address of serve's metrics listener;
	// adminAddr, of its admin listener.
	metrics, adminAddr chan string
	// radiusAddr, if set, gets the address of its RADIUS door.
	radiusAddr chan string
}

func newAdmin(t *testing.T) *admin {
	return &admin{t: t, db: filepath.Join(t.TempDir(), "softtoken.db"), env: map[string]string{}}
}

// run runs a command with stdin; --db is passed through the environment,
// as an admin's shell would.
func (a *admin) run(stdin string, args ...string) (string, error) {
	a.t.Helper()
	var out, errOut bytes.Buffer
	env := cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string {
			if k == "SOFTTOKEN_DB" {
				return a.db
			}
			return a.env[k]
		},
		Logger: slog.New(slog.NewTextHandler(cmp.Or(a.logs, io.Discard), nil)),
	}
	err := cli.Run(context.Background(), env, args)
	return out.String(), err
}

type added struct {
	Mail               string `json:"mail"`
	UserID             string `json:"userid"`
	InitialPasscode    string `json:"initial_passcode"`
	TwoFASeed          string `json:"2faseed"`
	TokenSerial        string `json:"token_serial"`
	MustChangePassword bool   `json:"must_change_password"`
	Active             bool   `json:"active"`
	Admin              bool   `json:"admin"`
}

func (a *admin) add(stdin string, args ...string) added {
	a.t.Helper()
	out, err := a.run(stdin, append([]string{"user", "add"}, args...)...)
	if err != nil {
		a.t.Fatalf("user add %v: %v", args, err)
	}
	var got added
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		a.t.Fatalf("user add printed %q: %v", out, err)
	}
	return got
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// commandStep is one admin command of TestUserCommands and what it
// prints (want) or fails with (errHas; usage: a usage error).
type commandStep struct {
	stdin  string
	args   []string
	want   string
	errHas string
	usage  bool
}

// commandSteps are the admin commands TestUserCommands runs in turn, on
// one database.
func commandSteps() []commandStep {
	return []commandStep{
		{"other-pass\n", []string{"user", "add", "bts@x"}, `"initial_passcode"`, "", false},
		{"other-pass\n", []string{"user", "add", "BTS@X"}, "", "already exists", false},
		{"short\n", []string{"user", "add", "weak"}, "", "password must be", false},
		{"", []string{"user", "add", "nopw"}, "", "give the password on standard input", true},
		{"x-pass-long\n", []string{"user", "add", "late", "--admin"}, "", "flags go before arguments", true},
		{"", []string{"user", "list"}, "BTSUser0.9999@bts.com  yes     no     yes  en    ST", "", false},
		{"", []string{"user", "list", "--locked", "--json"}, "[]", "", false},
		{"", []string{"user", "list", "--unenrolled", "--json"}, `"userid": "bts@x"`, "", false},
		{"", []string{"user", "list", "--disabled", "bts@x"}, "", "unexpected argument", true},
		{"", []string{"user", "show", "bts@x"}, `"userid": "bts@x"`, "", false},
		{"", []string{"user", "disable", "bts@x"}, "Disabled user bts@x", "", false},
		{"", []string{"user", "show", "bts@x"}, `"active": false`, "", false},
		{"", []string{"user", "enable", "bts@x"}, "Enabled user bts@x", "", false},
		{"", []string{"user", "unlock", "bts@x"}, "Unlocked user bts@x (was not locked; 0 failures cleared)", "", false},
		{"", []string{"user", "unlock", "--json", "bts@x"}, `"was_locked": false`, "", false},
		{"attr-pass-1\n", []string{"user", "add", "--firm", "F1", "--roles", "fx", "--attr", `{"desk": "FX"}`, "attrs"}, `"desk": "FX"`, "", false},
		{"attr-pass-1\n", []string{"user", "add", "--attr", `["FX"]`, "badattr"}, "", "flag -attr: must be a JSON object", true},
		{"attr-pass-1\n", []string{"user", "add", "--attr", `null`, "badattr"}, "", "flag -attr: must be a JSON object", true},
		{"", []string{"user", "update", "--email", "a@example.com", "--attr", `{"desk": "rates"}`, "attrs"}, "Updated user attrs: attr, email", "", false},
		{"", []string{"user", "show", "attrs"}, `"email": "a@example.com"`, "", false},
		{"", []string{"user", "show", "attrs"}, `"desk": "rates"`, "", false},
		{"", []string{"user", "show", "attrs"}, `"firm": "F1"`, "", false},
		{"", []string{"user", "update", "--json", "--roles", "", "attrs"}, `"roles"`, "", false},
		{"", []string{"user", "update", "--phone", "+44 7700 900123", "attrs"}, "Updated user attrs: phone", "", false},
		{"", []string{"user", "show", "attrs"}, `"phone": "+447700900123"`, "", false},
		{"", []string{"user", "update", "attrs"}, "", "give what to change", true},
		{"", []string{"user", "update", "--phone", "07700", "attrs"}, "", "international form", true},
		{"", []string{"user", "update", "--attr", "{", "attrs"}, "", "flag -attr: must be a JSON object", true},
		{"", []string{"user", "update", "--firm", "F2", "nobody"}, "", "no such user", false},
		{"", []string{"user", "show", "attrs"}, `"lang": "en"`, "", false},
		{"", []string{"user", "update", "--lang", "it", "attrs"}, "Updated user attrs: lang", "", false},
		{"", []string{"user", "show", "attrs"}, `"lang": "it"`, "", false},
		{"", []string{"user", "list"}, "attrs                  yes     no     no   it", "", false},
		{"", []string{"user", "list", "--json"}, `"lang": "it"`, "", false},
		{"", []string{"user", "update", "--lang", "fr", "attrs"}, "", `flag -lang: "fr" is not a language of the server: say en or it`, true},
		{"lang-pass-1\n", []string{"user", "add", "--lang", "IT", "italiano"}, `"lang": "it"`, "", false},
		{"lang-pass-1\n", []string{"user", "add", "--lang", "italian", "badlang"}, "", `flag -lang: "italian" is not a language of the server`, true},
		{"", []string{"user", "temp-passcode", "attrs"}, `"temporary_passcode"`, "", false},
		{"", []string{"user", "temp-passcode", "attrs"}, "", "temporary passcode too soon", false},
		{"", []string{"user", "temp-passcode", "--override-30-days", "attrs"}, "", "--override-30-days needs --reason", true},
		{"", []string{"user", "temp-passcode", "--override-30-days", "--reason", " ", "attrs"}, "", "--override-30-days needs --reason", true},
		{"", []string{"user", "temp-passcode", "--reason", "seen", "attrs"}, "", "--reason goes with --override-30-days", true},
		{"", []string{"user", "temp-passcode", "--override-30-days", "--reason", "passport seen", "attrs"}, `"overrode_30_day_rule": true`, "", false},
		{"", []string{"user", "unlock", "nobody"}, "", "no such user", false},
		{"", []string{"user", "unlock"}, "", "missing argument", true},
		{"", []string{"token", "revoke", "BTSUser0.9999@bts.com"}, "Revoked the token", "", false},
		{"", []string{"token", "revoke", "BTSUser0.9999@bts.com"}, "", "has no token", false},
		{"new-pass-123\n", []string{"user", "reset", "bts@x"}, `"must_change_password": true`, "", false},
		{"", []string{"user", "delete", "bts@x"}, "Deleted user bts@x", "", false},
		{"sms-pass-123\n", []string{"user", "add", "--sms", "--phone", "+44 7700 900123", "texter"}, `"sms": true`, "", false},
		{"", []string{"user", "show", "texter"}, `"phone": "+447700900123"`, "", false},
		{"sms-pass-123\n", []string{"user", "add", "--sms", "nophone"}, "", "--sms needs --phone", true},
		{"sms-pass-123\n", []string{"user", "add", "--phone", "07700", "badphone"}, "", "international form", true},
		{"new-pass-456\n", []string{"user", "reset", "texter"}, `"must_change_password": true`, "", false},
		{"", []string{"user", "show", "texter"}, `"phone": "+447700900123"`, "", false},
		{"", []string{"user", "show", "bts@x"}, "", "no such user", false},
		{"", []string{"audit", "--user", "bts@x"}, "user delete", "", false},
		{"", []string{"audit", "--user", "bts@x"}, "user unlock", "", false},
		{"", []string{"audit", "--since", "1h", "--json"}, `"event":"token revoke"`, "", false},
		{"", []string{"audit", "--since", "yesterday"}, "", "--since takes", true},
		{"", []string{"frob"}, "", "unknown command", true},
	}
}

func TestUserCommands(t *testing.T) {
	a := newAdmin(t)
	u := a.add("trader-pass\n", "--use2fa", "--email", "t@example.com", "--firm", "FINT", "BTSUser0.9999@bts.com")
	if !sixDigits.MatchString(u.InitialPasscode) || u.TwoFASeed == "" || u.TokenSerial == "" || !u.MustChangePassword {
		t.Errorf("user add: %+v", u)
	}
	if _, err := token.ParseSecret(u.TwoFASeed); err != nil {
		t.Errorf("2faseed: %v", err)
	}
	if fi, err := os.Stat(a.db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode: %v %v", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(a.db + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("master key mode: %v", err)
	}
	for _, st := range commandSteps() {
		out, err := a.run(st.stdin, st.args...)
		if st.errHas != "" {
			var ue *cli.UsageError
			if err == nil || !strings.Contains(err.Error(), st.errHas) || errors.As(err, &ue) != st.usage {
				t.Errorf("%v: got %v, want an error containing %q (usage %v)", st.args, err, st.errHas, st.usage)
			}
			continue
		}
		if err != nil || !strings.Contains(out, st.want) {
			t.Errorf("%v: got %q, %v; want %q", st.args, out, err, st.want)
		}
	}
	if out, _ := a.run("", "user", "show", "texter"); strings.Contains(out, `"sms": true`) {
		t.Error("an SMS user still gets SMS passcodes after a reset: they must enrol again")
	}
	out, _ := a.run("", "audit")
	if strings.Contains(out, "trader-pass") || strings.Contains(out, u.TwoFASeed) || strings.Contains(out, u.InitialPasscode) {
		t.Error("the audit shows a secret")
	}
}

func TestServeRefusesPlainHTTPOffLoopback(t *testing.T) {
	a := newAdmin(t)
	for _, addr := range []string{"0.0.0.0:8443", ":8443", "192.0.2.1:8443", "example.com:443"} {
		if _, err := a.run("", "serve", "--listen", addr); err == nil || !strings.Contains(err.Error(), "refusing to serve plain HTTP") {
			t.Errorf("%s: got %v", addr, err)
		}
	}
}

// serve starts `softtoken-server serve` with args on 127.0.0.1:0 and
// returns its address; stop shuts it down and checks that it ended well.
func (a *admin) serve(args ...string) (addr string, stop func()) {
	t := a.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		env := cli.Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
			Getenv:    func(k string) string { return map[string]string{"SOFTTOKEN_DB": a.db}[k] + a.env[k] },
			Logger:    slog.New(slog.NewTextHandler(cmp.Or(a.logs, io.Discard), nil)),
			Listening: func(addr string) { addrc <- addr }}
		if a.metrics != nil {
			env.MetricsListening = func(addr string) { a.metrics <- addr }
		}
		if a.adminAddr != nil {
			env.AdminListening = func(addr string) { a.adminAddr <- addr }
		}
		if a.radiusAddr != nil {
			env.RADIUSListening = func(addr string) { a.radiusAddr <- addr }
		}
		done <- cli.Run(ctx, env, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...))
	}()
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	}
	return addr, func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not shut down")
		}
	}
}

// The real `serve` on 127.0.0.1:0, a user made with `user add --use2fa`,
// and a client that does what the seed's Java sample does.
func TestServeEndToEnd(t *testing.T) {
	a := newAdmin(t)
	u := a.add("trader-pass\n", "--use2fa", "trader")
	addr, stop := a.serve()
	seed, _ := token.ParseSecret(u.TwoFASeed)
	code, _ := token.Token{Secret: seed, Params: token.DefaultParams()}.Code(time.Now())
	r := wsLogin(t, addr, "trader", "trader-pass", code)
	if r.Result != wire.ResultOK || !r.MustChangePassword {
		t.Fatalf("login: %+v", r)
	}
	stop()
}

// With a certificate the server speaks wss://, and a client that trusts
// the certificate gets a challenge.
func TestServeTLS(t *testing.T) {
	a := newAdmin(t)
	a.add("admin-pass\n", "admin")
	certFile, keyFile, pool := selfSigned(t)
	addr, stop := a.serve("--tls-cert", certFile, "--tls-key", keyFile)
	defer stop()
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}}
	c, _, err := d.Dial("wss://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteJSON(map[string]string{"type": "challenge"}); err != nil {
		t.Fatal(err)
	}
	var r wire.Response
	if err := c.ReadJSON(&r); err != nil || r.Result != wire.ResultOK || r.Key == "" {
		t.Fatalf("challenge over TLS: %+v, %v", r, err)
	}
	if _, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil); err == nil {
		t.Error("plain ws:// worked on a TLS listener")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestWelcomeMail(t *testing.T) {
	a := newAdmin(t)
	a.env["SOFTTOKEN_ENROL_URL"] = "https://secureauth.example.com/secenrol/"
	u := a.add("trader-pass\n", "--email", "mickey@example.com", "mickey")
	if !strings.Contains(u.Mail, "sent to mickey@example.com") {
		t.Errorf("mail: %q", u.Mail)
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(a.db), "outbox", "*.eml"))
	if len(files) != 1 {
		t.Fatalf("outbox: %v", files)
	}
	raw, _ := os.ReadFile(files[0])
	for _, want := range []string{"To: mickey@example.com", "Passcode:     " + u.InitialPasscode, "https://secureauth.example.com/secenrol/"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the mail lacks %q", want)
		}
	}
	if nomail := a.add("trader-pass\n", "minnie"); !strings.Contains(nomail.Mail, "no e-mail address") || nomail.InitialPasscode == "" {
		t.Errorf("without e-mail: %+v", nomail)
	}
	// A mail that cannot be sent: reported, and the passcode is printed all the same.
	a.env["SOFTTOKEN_SMTP"] = "127.0.0.1:1"
	failed := a.add("trader-pass\n", "--email", "goofy@example.com", "goofy")
	if failed.InitialPasscode == "" || !strings.Contains(failed.Mail, "not sent") {
		t.Errorf("failed mail: %+v", failed)
	}
	delete(a.env, "SOFTTOKEN_SMTP")
	reset, err := a.run("new-pass-123\n", "user", "reset", "mickey")
	if err != nil || !strings.Contains(reset, `"mail_sent": true`) {
		t.Errorf("reset: %s %v", reset, err)
	}
	if files, _ := filepath.Glob(filepath.Join(filepath.Dir(a.db), "outbox", "*.eml")); len(files) != 2 {
		t.Errorf("after the reset the outbox holds %d mails, want 2", len(files))
	}
}

// A user added with --lang it gets the welcome mail in Italian, and so
// does their reset; the mail still carries what the enrolment needs.
func TestWelcomeMailInItalian(t *testing.T) {
	a := newAdmin(t)
	a.env["SOFTTOKEN_ENROL_URL"] = "https://secureauth.example.com/secenrol/"
	u := a.add("trader-pass\n", "--lang", "it", "--email", "mario@example.com", "mario.rossi")
	outbox := filepath.Join(filepath.Dir(a.db), "outbox")
	files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
	if len(files) != 1 || !strings.Contains(u.Mail, "sent to mario@example.com") {
		t.Fatalf("outbox: %v (%s)", files, u.Mail)
	}
	raw, _ := os.ReadFile(files[0])
	for _, want := range []string{"Subject: Attivazione dell'autenticazione a due fattori", "User ID:            mario.rossi",
		"Codice di accesso:  " + u.InitialPasscode, "https://secureauth.example.com/secenrol/?userid=mario.rossi",
		"Il codice di accesso vale una sola volta", "(30 giorni), il Suo account verrà disattivato"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the Italian welcome mail lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(string(raw), "Your User ID") || strings.Contains(string(raw), "enrol by") {
		t.Errorf("the Italian welcome mail holds English:\n%s", raw)
	}
	if _, err := a.run("new-pass-123\n", "user", "reset", "mario.rossi"); err != nil {
		t.Fatal(err)
	}
	files, _ = filepath.Glob(filepath.Join(outbox, "*.eml"))
	italian := 0
	for _, f := range files {
		if raw, _ := os.ReadFile(f); strings.Contains(string(raw), "Codice di accesso:  ") {
			italian++
		}
	}
	if len(files) != 2 || italian != 2 {
		t.Errorf("after the reset: %d mails, %d in Italian", len(files), italian)
	}
}

// demo prints the demo user's credentials, serves, and on a second run
// shows the same password with a fresh passcode.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	run := func() string {
		t.Helper()
		var out bytes.Buffer
		ctx, cancel := context.WithCancel(context.Background())
		env := cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: io.Discard,
			Getenv: func(string) string { return "" }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Listening: func(string) { cancel() }}
		if err := cli.Run(ctx, env, []string{"demo", "--data", dir, "--listen", "127.0.0.1:0"}); err != nil {
			t.Fatalf("demo: %v", err)
		}
		return out.String()
	}
	field := func(out, name string) string {
		m := regexp.MustCompile(name + `: +(\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %s in %q", name, out)
		}
		return m[1]
	}
	first, second := run(), run()
	if field(first, "User ID") != cli.DemoUserID || !sixDigits.MatchString(field(first, "Passcode")) {
		t.Errorf("first run:\n%s", first)
	}
	if field(first, "Password") != field(second, "Password") || field(first, "Passcode") == field(second, "Passcode") {
		t.Errorf("second run should keep the password and give a new passcode:\n%s\n%s", first, second)
	}
	if mails, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml")); len(mails) != 2 {
		t.Errorf("%d welcome mails in the outbox, want 2", len(mails))
	}
	if fi, err := os.Stat(filepath.Join(dir, "demo-password")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("demo-password: %v", err)
	}
	backend := regexp.MustCompile(`verifylogin\): ` + cli.DemoBackendID + `, password (\S+)`)
	b1, b2 := backend.FindStringSubmatch(first), backend.FindStringSubmatch(second)
	if b1 == nil || b2 == nil || b1[1] != b2[1] {
		t.Errorf("the demo's service account and its password, the same on both runs:\n%s\n%s", first, second)
	}
}

// Turning the second factor off is the administrator's explicit choice,
// on record in the audit at every start; the default start records
// nothing of the kind, and --help shows the default.
func TestRequire2FAOffIsAudited(t *testing.T) {
	a := newAdmin(t)
	_, stop := a.serve()
	stop()
	if out, _ := a.run("", "audit"); strings.Contains(out, "second_factor_off") {
		t.Errorf("a default start recorded the policy as off:\n%s", out)
	}
	_, stop = a.serve("--require-2fa=false")
	stop()
	if out, _ := a.run("", "audit"); !strings.Contains(out, "second_factor_off") {
		t.Errorf("a start with --require-2fa=false is not in the audit:\n%s", out)
	}
	help, err := a.run("", "serve", "--help")
	if err != nil || !regexp.MustCompile(`-require-2fa\n.*\(default true\)`).MatchString(help) {
		t.Errorf("serve --help: %v\n%s", err, help)
	}
}
