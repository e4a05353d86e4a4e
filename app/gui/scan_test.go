package gui_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/token/qr"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"golang.org/x/image/tiff"

	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/token"
)

const scanURI = "otpauth://totp/Example:carol@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example"

func pngFile(t *testing.T, img image.Image) fyne.URI {
	t.Helper()
	path := filepath.Join(t.TempDir(), "code.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return storage.NewFileURI(path)
}

func qrFile(t *testing.T, text string) fyne.URI {
	t.Helper()
	img, err := qr.Encode(text, 260)
	if err != nil {
		t.Fatal(err)
	}
	return pngFile(t, img)
}

// A dropped image: the token is shown for confirmation before it is stored.
func TestDropQRImage(t *testing.T) {
	f := newFixture(t, "alice")
	var asked string
	f.w.Confirm = func(_, msg string, answer func(bool)) { asked = msg; answer(false) }
	f.w.Dropped(fyne.NewPos(0, 0), []fyne.URI{qrFile(t, scanURI)})
	if !strings.Contains(asked, "Account: carol@example.com") || !strings.Contains(asked, "Issuer: Example") {
		t.Fatalf("confirmation %q", asked)
	}
	if entries, _ := f.store.List(); len(entries) != 1 {
		t.Fatal("a refused token was stored")
	}
	f.w.Confirm = func(_, _ string, answer func(bool)) { answer(true) }
	f.w.Dropped(fyne.NewPos(0, 0), []fyne.URI{qrFile(t, scanURI)})
	entries, _ := f.store.List()
	if len(entries) != 2 || entries[1].Token.Account != "carol@example.com" || len(f.w.Rows()) != 2 {
		t.Errorf("after confirming: %v", entries)
	}
}

// TestScanMessages: what the window says of a dropped file it cannot
// use. A TIFF file holds a token's code, and Fyne's dependencies register
// a TIFF decoder in this very binary, yet it is refused unread, in the
// window's words.
func TestScanMessages(t *testing.T) {
	f := newFixture(t)
	var title, msg string
	f.w.Inform = func(tt, m string) { title, msg = tt, m }
	f.w.Confirm = func(_, _ string, _ func(bool)) { t.Fatal("asked to add something that is not a token") }
	tests := []struct {
		uri        fyne.URI
		title, msg string
	}{
		{qrFile(t, "https://example.com/lunch-menu"), "Not a token", ""},
		{pngFile(t, image.NewGray(image.Rect(0, 0, 200, 200))), "No QR code found", ""},
		{qrFile(t, "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ&period=15"), "Cannot use this code", ""},
		{tiffFile(t, scanURI), "Cannot use this code", "Only PNG, JPEG and GIF pictures can be read: save the QR code as one of those and try again."},
	}
	for _, tc := range tests {
		title, msg = "", ""
		f.w.Dropped(fyne.NewPos(0, 0), []fyne.URI{tc.uri})
		if title != tc.title || msg == "" || tc.msg != "" && msg != tc.msg {
			t.Errorf("%s: got %q: %q", tc.uri.Name(), title, msg)
		}
	}
}

// tiffFile is a TIFF file of text as a QR code.
func tiffFile(t *testing.T, text string) fyne.URI {
	t.Helper()
	img, err := qr.Encode(text, 260)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tiff.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "code.tiff")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return storage.NewFileURI(path)
}

// Scanning the screen hides the window, captures, shows it again and offers
// the token found.
func TestScanScreen(t *testing.T) {
	a, store := memApp(t)
	reloaded := make(chan int, 4)
	w := gui.New(a, gui.Config{Store: store, HideDelay: time.Millisecond,
		ScanScreen: func() (string, error) { return scanURI, nil },
		OnChange:   func(e []token.Entry) { reloaded <- len(e) }})
	<-reloaded // the first load
	asked := make(chan string, 1)
	w.Confirm = func(_, msg string, answer func(bool)) { asked <- msg; answer(true) }
	w.ScanScreen()
	select {
	case msg := <-asked:
		if !strings.Contains(msg, "carol@example.com") {
			t.Errorf("confirmation %q", msg)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no confirmation after scanning the screen")
	}
	// Wait for the window to finish showing it: nothing may run in the
	// background when the test ends.
	select {
	case n := <-reloaded:
		if n != 1 {
			t.Errorf("the window shows %d tokens, want 1", n)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the window did not reload")
	}
}

// Ctrl+V and "Paste a copied image" scan the clipboard's picture.
func TestScanClipboard(t *testing.T) {
	a, store := memApp(t)
	clip := func() (string, error) { return "", scan.ErrNoClipboardImage }
	w := gui.New(a, gui.Config{Store: store, ScanClipboard: func() (string, error) { return clip() }})
	var title, asked string
	w.Inform = func(tt, _ string) { title = tt }
	w.Confirm = func(_, msg string, answer func(bool)) { asked = msg; answer(false) }
	w.ScanClipboard()
	if title != "No picture to paste" {
		t.Errorf("an empty clipboard: %q", title)
	}
	clip = func() (string, error) { return scanURI, nil }
	ctrlV := &desktop.CustomShortcut{KeyName: fyne.KeyV, Modifier: fyne.KeyModifierShortcutDefault}
	w.Win.Canvas().(fyne.Shortcutable).TypedShortcut(ctrlV)
	if !strings.Contains(asked, "carol@example.com") {
		t.Errorf("Ctrl+V with a QR code on the clipboard: %q", asked)
	}
}

// The webcam: frames are shown until one holds a code, which is offered;
// with no camera, the user is told.
func TestScanCamera(t *testing.T) {
	a, store := memApp(t)
	code, err := qr.Encode(scanURI, 260)
	if err != nil {
		t.Fatal(err)
	}
	blank := image.NewGray(image.Rect(0, 0, 320, 240))
	open := func() (scan.FrameSource, error) { return nil, scan.ErrNoCamera }
	w := gui.New(a, gui.Config{Store: store, OpenCamera: func() (scan.FrameSource, error) { return open() }})
	var title string
	w.Inform = func(tt, _ string) { title = tt }
	w.ScanCamera()
	if title != "No camera" {
		t.Errorf("without a camera: %q", title)
	}
	asked := make(chan string, 1)
	w.Confirm = func(_, msg string, answer func(bool)) { asked <- msg; answer(false) }
	open = func() (scan.FrameSource, error) {
		return &scan.Recorded{Frames: []image.Image{blank, blank, code}}, nil
	}
	w.ScanCamera()
	select {
	case msg := <-asked:
		if !strings.Contains(msg, "carol@example.com") {
			t.Errorf("confirmation %q", msg)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the code in the third frame was not offered")
	}
}
