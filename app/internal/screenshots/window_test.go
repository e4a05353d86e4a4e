//go:build screenshots

package screenshots

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/app/ontop"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
	"github.com/softtoken/softtoken/token/oneswipe"
	"github.com/softtoken/softtoken/token/qr"
)

// now is the pictures' fixed time: 23 s left of a 30 s passcode.
var now = time.Date(2026, 3, 2, 9, 30, 7, 0, time.UTC)

// enrolURL is the demo exchange's enrol site.
const enrolURL = "https://2fa.broker.example/secenrol/"

// demo are the three tokens of the pictures, with fixed secrets: one
// enrolled with the exchange (it can show One Swipe codes), one added
// from another site's QR code, and a counter-based (HOTP) one.
var demo = []token.Token{
	{Label: "trader1@broker.example (Borsa)", Issuer: "2fa.broker.example", Account: "trader1@broker.example",
		EnrolURL: enrolURL, Serial: "ST0000012345", Secret: token.Secret("demo-secret-borsa-01"),
		Params: token.Params{Type: token.TOTP, Algorithm: token.SHA1, Digits: 6, Period: 30}},
	{Label: "trader1 (LSE)", Issuer: "LSE", Account: "trader1", Secret: token.Secret("demo-secret-lse-0002"),
		Params: token.Params{Type: token.TOTP, Algorithm: token.SHA1, Digits: 6, Period: 30}},
	{Label: "ops@broker.example (VPN)", Issuer: "VPN", Account: "ops@broker.example", Secret: token.Secret("demo-secret-vpn-0003"),
		Params: token.Params{Type: token.HOTP, Algorithm: token.SHA1, Digits: 6, Counter: 41}},
}

// size is the window's size in every picture; a dialog that needs more
// room grows it (gui.Window.showFitted).
var size = fyne.NewSize(560, 460)

// fixture is a window on the real app with tokens in a memory keyring.
type fixture struct {
	w     *gui.Window
	store *keyringstore.Store
	now   time.Time
}

// open shows a new window in language lang ("en" or "it") with the given
// tokens, at the fixed time, focused (exact seconds), and hides it when
// the test ends. The Add dialog enrols with srv, when given.
func open(t *testing.T, lang string, tokens []token.Token, srv *servertest.Server) *fixture {
	t.Helper()
	store, err := keyringstore.New(keyringstore.Config{Backend: &keyringstore.MemoryBackend{}, LockPath: filepath.Join(t.TempDir(), "lock")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if _, err := store.Add(tok); err != nil {
			t.Fatalf("add %s: %v", tok.Label, err)
		}
	}
	f := &fixture{store: store, now: now}
	cfg := gui.Config{Store: store, Now: func() time.Time { return f.now }, DefaultEnrolURL: enrolURL,
		// Notices stay and the clipboard is not cleared: nothing changes
		// behind the picture's back.
		After: func(time.Duration, func()) {}, KeepOnTop: ontop.Keep}
	if srv != nil {
		client := &enrolclient.Client{Store: store, Now: srv.Clock.Now}
		cfg.Begin, cfg.DefaultEnrolURL = client.Begin, srv.URL
	}
	var rows int
	fyne.DoAndWait(func() {
		theApp.Preferences().SetString(gui.PrefLanguage, lang)
		f.w = gui.New(theApp, cfg)
		f.w.Win.Resize(size)
		f.w.SetFocused(true)
		f.w.Win.Show()
		rows = len(f.w.Rows())
	})
	t.Cleanup(func() {
		fyne.DoAndWait(func() {
			if f.w.Compact != nil {
				f.w.ShowFull() // the next window opens in full
			}
			f.w.Win.Hide()
		})
	})
	if rows != len(tokens) {
		t.Fatalf("the window shows %d rows, want %d", rows, len(tokens))
	}
	return f
}

// at moves the window's clock and redraws it.
func (f *fixture) at(t time.Time) {
	fyne.DoAndWait(func() { f.now = t; f.w.Refresh() })
}

// nextCode presses the HOTP row's Next code, as a trader does, and
// clears the "copied" notice it shows.
func (f *fixture) nextCode(t *testing.T) {
	t.Helper()
	pressed, shown := 0, 0
	fyne.DoAndWait(func() {
		for _, r := range f.w.Rows() {
			if r.Entry.Token.Type == token.HOTP {
				r.Next.OnTapped()
				pressed++
			}
		}
		// The window rebuilt its rows: the code shows, and Copy is on.
		for _, r := range f.w.Rows() {
			if r.Entry.Token.Type == token.HOTP && !r.Copy.Disabled() {
				shown++
			}
		}
		f.w.Status.SetText("")
	})
	if pressed == 0 || shown != pressed {
		t.Fatalf("Next code pressed on %d rows, a code shown on %d", pressed, shown)
	}
}

func TestEmpty(t *testing.T) {
	f := open(t, "en", nil, nil)
	shoot(t, f.w, "empty")
}

func TestThreeTokens(t *testing.T) {
	f := open(t, "en", demo, nil)
	f.nextCode(t)
	shoot(t, f.w, "three-tokens")
	f.at(now.Add(20 * time.Second)) // 3 s left
	shoot(t, f.w, "three-tokens-warning")
}

func TestThreeTokensItalian(t *testing.T) {
	f := open(t, "it", demo, nil)
	f.nextCode(t)
	shoot(t, f.w, "three-tokens-it")
}

// addDialog opens the Add dialog and fills it as a trader would before
// pressing Enrol.
func addDialog(t *testing.T, lang string) *fixture {
	t.Helper()
	f := open(t, lang, demo[:1], nil)
	fyne.DoAndWait(func() {
		f.w.ShowAdd()
		f.w.Add.UserID.SetText("trader2@broker.example")
		f.w.Add.Password.SetText("demo-password")
		f.w.Add.Passcode.SetText("48213907")
	})
	return f
}

func TestAddDialog(t *testing.T) {
	f := addDialog(t, "en")
	shoot(t, f.w, "add-dialog")
}

func TestAddDialogItalian(t *testing.T) {
	f := addDialog(t, "it")
	shoot(t, f.w, "add-dialog-it")
}

// The security questions come from a real server in this process, as
// the first enrolment of a user meets them.
func TestAddQuestions(t *testing.T) {
	srv := servertest.New(t)
	initial := srv.AddUser("trader2", "trader2-pass")
	f := open(t, "en", demo[:1], srv)
	fyne.DoAndWait(func() {
		f.w.ShowAdd()
		add := f.w.Add
		add.UserID.SetText("trader2")
		add.Password.SetText("trader2-pass")
		add.Passcode.SetText(initial)
		add.EnrolButton.OnTapped()
	})
	deadline := time.Now().Add(20 * time.Second)
	for f.w.Add.Steps() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the security questions")
		}
		time.Sleep(20 * time.Millisecond)
	}
	fyne.DoAndWait(func() {
		add := f.w.Add
		if !add.Asking() {
			t.Errorf("no questions: %q %q", add.FormError.Text, add.PasscodeError.Text)
			return
		}
		add.Question1.SetSelectedIndex(0)
		add.Question2.SetSelectedIndex(2)
		add.Answer1.SetText("Portofino")
		add.Answer2.SetText("Bianchi")
	})
	if t.Failed() {
		return
	}
	shoot(t, f.w, "add-questions")
}

func TestScanDialog(t *testing.T) {
	f := open(t, "en", demo, nil)
	fyne.DoAndWait(f.w.ShowScan)
	shoot(t, f.w, "scan-dialog")
}

// qrFile writes a QR code holding text as a PNG file, as a trader saves
// or drops one.
func qrFile(t *testing.T, text string) fyne.URI {
	t.Helper()
	img, err := qr.Encode(text, 260)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "code.png")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := png.Encode(out, img); err != nil {
		t.Fatal(err)
	}
	return storage.NewFileURI(path)
}

// A token's QR code scanned: what was found is shown before it is added.
func TestScanConfirm(t *testing.T) {
	f := open(t, "en", demo[:2], nil)
	uri := "otpauth://totp/Broker%20VPN:ops@broker.example?secret=MRSW233TMVRXEZLUFV3HA3RNGAYDAMZS&issuer=Broker%20VPN"
	fyne.DoAndWait(func() { f.w.Dropped(fyne.NewPos(0, 0), []fyne.URI{qrFile(t, uri)}) })
	shoot(t, f.w, "scan-confirm")
}

// A One Swipe enrolment code from the enrol site, scanned: the app says
// whom and where it enrols before it does.
func TestOneSwipeScanConfirm(t *testing.T) {
	f := open(t, "en", demo[1:2], nil)
	code := oneswipe.Enrolment{EnrolURL: enrolURL, UserID: "trader1@broker.example",
		Code: "DEMODEMODEMODEMODEMODEMOAA", Expires: now.Add(10 * time.Minute)}
	fyne.DoAndWait(func() { f.w.Dropped(fyne.NewPos(0, 0), []fyne.URI{qrFile(t, code.String())}) })
	shoot(t, f.w, "oneswipe-scan-confirm")
}

// A token's One Swipe code, for the enrol site's webcam on another PC.
func TestOneSwipeShow(t *testing.T) {
	f := open(t, "en", demo, nil)
	fyne.DoAndWait(func() { f.w.ShowSwipe(f.w.Rows()[0].Entry) })
	shoot(t, f.w, "oneswipe-show")
}
