package gui_test

import (
	"context"
	"image"
	"strconv"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// italianWindow is a window in Italian with a time-based token enrolled
// with a server (it can show One Swipe codes), a counter-based one, and
// one whose keyring entry cannot be read.
func italianWindow(t *testing.T, cfg gui.Config) (*gui.Window, *translationCheck) {
	t.Helper()
	italian(t)
	a := test.NewTempApp(t)
	test.ApplyTheme(t, theme.DefaultTheme())
	backend := &keyringstore.MemoryBackend{}
	store, err := keyringstore.New(keyringstore.Config{Backend: backend, LockPath: t.TempDir() + "/lock"})
	if err != nil {
		t.Fatal(err)
	}
	enrolled := rfcToken("trader (2fa.example.com)")
	enrolled.Account, enrolled.Issuer, enrolled.EnrolURL = "trader", "2fa.example.com", "https://2fa.example.com/secenrol/"
	var broken token.Entry
	for _, tk := range []token.Token{enrolled, hotpToken("bob (broker.example)", 0), rfcToken("gone")} {
		if broken, err = store.Add(tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := backend.Set(keyringstore.DefaultService, "token:"+broken.ID, "garbage"); err != nil {
		t.Fatal(err)
	}
	cfg.Store = store
	cfg.Now = func() time.Time { return time.Unix(1111111111, 0) }
	cfg.After = func(time.Duration, func()) {}
	w := gui.New(a, cfg)
	w.Win.Resize(fyne.NewSize(700, 700))
	check := newTranslationCheck(t)
	check.data = append(check.data, "trader (2fa.example.com)", "bob (broker.example)", "2fa.example.com", "trader",
		"https://2fa.example.com/secenrol/", "carol@example.com", "Example", "SHA1", "softtoken-demo")
	return w, check
}

// assertItalian fails the test for every text on w's canvas that is not
// Italian.
func assertItalian(t *testing.T, w *gui.Window, check *translationCheck, what string) {
	t.Helper()
	if rows := w.Rows(); len(rows) > 0 {
		test.LaidOutObjects(w.Win.Content())
	}
	for _, p := range check.problems(w.Win.Canvas()) {
		t.Errorf("%s: %s", what, p)
	}
}

// closeOverlays closes the dialogs and menus on w.
func closeOverlays(w *gui.Window) {
	for w.Win.Canvas().Overlays().Top() != nil {
		w.Win.Canvas().Overlays().Remove(w.Win.Canvas().Overlays().Top())
	}
}

// TestItalianEverywhere builds every window, dialog, menu and message of
// the app with the system in Italian, and fails on any text a user would
// read that is English or missing from the catalogues.
func TestItalianEverywhere(t *testing.T) {
	t.Run("window", func(t *testing.T) {
		w, check := italianWindow(t, gui.Config{})
		assertItalian(t, w, check, "the window")
		test.Tap(w.Rows()[1].Next)
		assertItalian(t, w, check, "after Next code")
		test.Tap(w.Rows()[0].Digits)
		assertItalian(t, w, check, "after a copy")
		test.Tap(w.Rows()[0].More)
		assertItalian(t, w, check, "the row's menu")
	})
	t.Run("dialogs", func(t *testing.T) {
		w, check := italianWindow(t, gui.Config{})
		for _, d := range []struct {
			what string
			open func()
		}{
			{"Delete", func() { tapMenuItem(t, w, w.Rows()[0], "Elimina…") }},
			{"Rename", func() { tapMenuItem(t, w, w.Rows()[0], "Rinomina…") }},
			{"Settings", func() { test.Tap(w.SettingsButton) }},
			{"Scan", func() { test.Tap(w.ScanButton) }},
			{"One Swipe", func() { test.Tap(w.Rows()[0].Swipe) }},
			{"the Add dialog", func() { test.Tap(w.AddButton) }},
		} {
			d.open()
			assertItalian(t, w, check, d.what)
			closeOverlays(w)
		}
	})
	t.Run("under a policy", func(t *testing.T) {
		url, secs, off := "https://2fa.example.com/secenrol/", 45, false
		w, check := italianWindow(t, gui.Config{Policy: policy.Policy{EnrolURL: &url, ClipboardClearSeconds: &secs, AutoType: &off}})
		for _, d := range []struct {
			what string
			open func()
		}{
			{"Settings under a policy", func() { test.Tap(w.SettingsButton) }},
			{"the Add dialog under a policy", func() { test.Tap(w.AddButton) }},
		} {
			d.open()
			assertItalian(t, w, check, d.what)
			closeOverlays(w)
		}
	})
	t.Run("rename errors", func(t *testing.T) {
		w, check := italianWindow(t, gui.Config{})
		for _, name := range []string{"", "bob (broker.example)", string(make([]rune, 70))} {
			w.AskName = func(_ string, answer func(string)) { answer(name) }
			tapMenuItem(t, w, w.Rows()[0], "Rinomina…")
			assertItalian(t, w, check, "renaming to "+name)
			closeOverlays(w)
		}
	})
	t.Run("scan results", func(t *testing.T) {
		var result string
		var resultErr error
		camera := &stillCamera{closed: make(chan struct{})}
		w, check := italianWindow(t, gui.Config{
			ScanClipboard: func() (string, error) { return result, resultErr },
			OpenCamera: func() (scan.FrameSource, error) {
				if resultErr != nil {
					return nil, resultErr
				}
				return camera, nil
			},
		})
		swipe := oneswipe.Enrolment{Code: "ABCDEFGH", EnrolURL: "https://2fa.example.com/secenrol/", UserID: "trader",
			Expires: time.Unix(1111111111, 0).Add(5 * time.Minute)}
		for _, tc := range []struct {
			text string
			err  error
		}{
			{"", scan.ErrNoCode},
			{"", scan.ErrNoClipboardImage},
			{"", scan.ErrNoClipboard},
			{"https://example.com/", nil},
			{scanURI, nil},
			{"otpauth://hotp/Example:carol@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example&counter=3", nil},
			{swipe.String(), nil},
		} {
			result, resultErr = tc.text, tc.err
			w.ScanClipboard()
			assertItalian(t, w, check, "scanning "+tc.text+" "+errText(tc.err))
			closeOverlays(w)
		}
		resultErr = scan.ErrNoCamera
		w.ScanCamera()
		assertItalian(t, w, check, "no camera")
		closeOverlays(w)
		resultErr = nil
		w.ScanCamera()
		assertItalian(t, w, check, "the webcam")
		tapButton(t, w, "Annulla")
		select {
		case <-camera.closed:
		case <-time.After(20 * time.Second):
			t.Fatal("Cancel did not stop the webcam")
		}
	})
	t.Run("enrolment errors", func(t *testing.T) {
		var fail error
		swipe := oneswipe.Enrolment{Code: "ABCDEFGH", EnrolURL: "https://2fa.example.com/secenrol/", UserID: "trader",
			Expires: time.Unix(1111111111, 0).Add(5 * time.Minute)}
		w, check := italianWindow(t, gui.Config{
			Begin: func(context.Context, enrolclient.Params) (*enrolclient.Enrolment, error) {
				return nil, fail
			},
			ScanClipboard: func() (string, error) { return swipe.String(), nil },
		})
		kinds := []struct {
			kind  enrolclient.Kind
			field string
		}{
			{enrolclient.KindServer, ""}, {enrolclient.KindBadURL, "url"}, {enrolclient.KindInsecure, "url"},
			{enrolclient.KindUnreachable, "url"}, {enrolclient.KindUnreachable, ""}, {enrolclient.KindTLS, "url"},
			{enrolclient.KindTimeout, "url"}, {enrolclient.KindTimeout, ""}, {enrolclient.KindWrongLogin, "password"},
			{enrolclient.KindWrongPasscode, "passcode"}, {enrolclient.KindWrongPasscode, "oneswipe"},
			{enrolclient.KindExpiredPasscode, "passcode"}, {enrolclient.KindExpiredPasscode, "oneswipe"},
			{enrolclient.KindLocked, ""}, {enrolclient.KindDisabled, ""}, {enrolclient.KindQuestions, "answers"},
			{enrolclient.KindBadAnswers, "answers"}, {enrolclient.KindFull, ""}, {enrolclient.KindInput, "userid"},
			{enrolclient.KindInput, "password"}, {enrolclient.KindInput, "passcode"}, {enrolclient.KindInput, "url"},
			{enrolclient.KindProxy, ""},
		}
		for _, k := range kinds {
			fail = &enrolclient.Error{Kind: k.kind, Field: k.field, Msg: "an English message from enrolclient"}
			test.Tap(w.AddButton)
			f := w.Add
			test.Tap(f.EnrolButton)
			waitFor(t, "the enrolment's outcome", steps(f, 1))
			assertItalian(t, w, check, "enrolment error "+k.field)
			closeOverlays(w)
		}
		// A scanned One Swipe code, accepted: the Add dialog enrols with it.
		fail = &enrolclient.Error{Kind: enrolclient.KindExpiredPasscode, Field: "oneswipe", Msg: "expired"}
		w.Confirm = func(_, _ string, answer func(bool)) { answer(true) }
		w.ScanClipboard()
		waitFor(t, "the enrolment's outcome", steps(w.Add, 1))
		assertItalian(t, w, check, "One Swipe enrolment")
	})
	t.Run("security questions", func(t *testing.T) {
		srv := servertest.New(t)
		initial := srv.AddUser("trader", "trader-pass")
		italian(t)
		w, store := addWindow(t, srv)
		check := newTranslationCheck(t)
		check.data = append(check.data, srv.URL, "trader", "softtoken", "x", "y")
		f := begin(t, w, "trader", "trader-pass", initial)
		check.data = append(check.data, f.Question1.Options...)
		assertItalian(t, w, check, "the questions")
		test.Tap(f.EnrolButton) // no questions chosen
		assertItalian(t, w, check, "no questions chosen")
		answer(f, "x", "y") // refused by the server
		waitFor(t, "the refusal", steps(f, 2))
		check.data = append(check.data, f.Question1.Options...)
		assertItalian(t, w, check, "refused answers")
		_ = store
	})
	t.Run("store errors", func(t *testing.T) {
		w, check := italianWindow(t, gui.Config{})
		for _, err := range []error{token.ErrFull, token.ErrNotFound, keyringstore.ErrUnavailable, keyringstore.ErrLocked,
			keyringstore.ErrBusy, keyringstore.ErrTooBig} {
			w.Inform(gui.T("Error"), gui.Message(err))
			assertItalian(t, w, check, err.Error())
			closeOverlays(w)
		}
		dialog.ShowConfirm(gui.T("delete.title"), "trader", func(bool) {}, w.Win)
		assertItalian(t, w, check, "Fyne's Yes and No")
	})
	t.Run("empty and full", func(t *testing.T) {
		italian(t)
		a, store := memApp(t)
		w := gui.New(a, gui.Config{Store: store})
		check := newTranslationCheck(t)
		assertItalian(t, w, check, "no tokens")
		for i := range token.MaxTokens {
			if _, err := store.Add(rfcToken("user" + strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
			check.data = append(check.data, "user"+strconv.Itoa(i))
		}
		w.Reload()
		if !w.FullNote.Visible() {
			t.Fatal("six tokens and no note")
		}
		assertItalian(t, w, check, "six tokens")
		test.Tap(w.ScanButton) // disabled: nothing opens
		w.ShowAdd()
		assertItalian(t, w, check, "Add with six tokens")
	})
	t.Run("tray", func(t *testing.T) {
		w, check := italianWindow(t, gui.Config{})
		entries := make([]token.Entry, len(w.Rows()))
		for i, r := range w.Rows() {
			entries[i] = r.Entry
		}
		for _, it := range gui.TrayMenu(entries, func(int) {}, func() {}).Items {
			if !it.IsSeparator && check.problems(labelCanvas(it.Label)) != nil {
				t.Errorf("tray menu: %q", it.Label)
			}
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// labelCanvas is a canvas showing one text.
func labelCanvas(s string) fyne.Canvas {
	c := test.NewCanvas()
	c.SetContent(newLabel(s))
	return c
}

// stillCamera is a webcam that shows nothing until the dialog closes.
type stillCamera struct{ closed chan struct{} }

func (c *stillCamera) Frame(ctx context.Context) (image.Image, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (c *stillCamera) Close() error {
	close(c.closed)
	return nil
}

// tapButton taps the button called text in the top dialog.
func tapButton(t *testing.T, w *gui.Window, text string) {
	t.Helper()
	for _, o := range test.LaidOutObjects(w.Win.Canvas().Overlays().Top()) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("no %q button", text)
}
