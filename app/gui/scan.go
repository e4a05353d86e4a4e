package gui

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/softtoken/softtoken/token/qr"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/token"
)

// ShowScan offers the ways to scan a QR code: the screen, an image file
// (also by dropping it on the window), the clipboard (also Ctrl+V) and
// the webcam.
func (w *Window) ShowScan() {
	var d dialog.Dialog
	screen := widget.NewButton(T("scan.screen"), func() { d.Hide(); w.ScanScreen() })
	file := widget.NewButton(T("scan.file"), func() { d.Hide(); w.openImage() })
	paste := widget.NewButton(T("scan.paste"), func() { d.Hide(); w.ScanClipboard() })
	camera := widget.NewButton(T("scan.camera"), func() { d.Hide(); w.ScanCamera() })
	hint := widget.NewLabel(T("scan.hint"))
	hint.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(hint, screen, file, paste, camera)
	if !scan.CameraSupported { // Windows, macOS: no webcam (docs/qr.md)
		hint.SetText(T("scan.hint.nocamera"))
		content.Remove(camera)
	}
	d = dialog.NewCustom(T("scan.title"), T("Cancel"), content, w.Win)
	w.showFitted(d, content, 420)
}

// ScanScreen hides the window for a moment, so that it does not cover the
// code, captures the screen and offers what it found.
func (w *Window) ScanScreen() {
	w.Win.Hide()
	go func() {
		time.Sleep(w.cfg.HideDelay)
		text, err := w.cfg.ScanScreen()
		fyne.Do(func() {
			w.Win.Show()
			w.offer(text, err)
		})
	}()
}

// ScanClipboard offers what the QR code in the clipboard's image holds.
func (w *Window) ScanClipboard() {
	text, err := w.cfg.ScanClipboard()
	if errors.Is(err, scan.ErrNoClipboardImage) || errors.Is(err, scan.ErrNoClipboard) {
		w.Inform(T("scan.nopicture"), Message(err))
		return
	}
	w.offer(text, err)
}

func (w *Window) openImage() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		defer r.Close()
		w.offer(decodeReader(r))
	}, w.Win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".gif"}))
	d.Show()
}

// Dropped scans image files dropped on the window.
func (w *Window) Dropped(_ fyne.Position, uris []fyne.URI) {
	if len(uris) == 0 {
		return
	}
	u := uris[0] // one code at a time
	r, err := storage.Reader(u)
	if err != nil {
		w.offer("", fmt.Errorf("open %s: %w", u.Name(), err))
		return
	}
	text, err := decodeReader(r)
	r.Close()
	w.offer(text, err)
}

func decodeReader(r io.Reader) (string, error) {
	img, err := qr.ReadImage(r)
	if err != nil {
		return "", err
	}
	return qr.Decode(img)
}

// offer shows what a scan found and, after the user confirms, stores it.
func (w *Window) offer(text string, err error) {
	var found scan.Found
	if err == nil {
		found, err = scan.Classify(text, w.cfg.Now())
	}
	switch {
	case errors.Is(err, scan.ErrNoCode):
		w.Inform(T("scan.nocode"), Message(err))
		return
	case errors.Is(err, scan.ErrNotToken), errors.Is(err, scan.ErrSignInCode):
		w.Inform(T("scan.nottoken"), Message(err))
		return
	case err != nil:
		w.Inform(T("scan.cannotuse"), Message(err))
		return
	}
	if len(w.entries) >= token.MaxTokens {
		w.Inform(T("full.title"), Message(token.ErrFull))
		return
	}
	if e := found.Enrolment; e != nil {
		msg := T("scan.oneswipe.details", args{"UserID": e.UserID, "URL": e.EnrolURL, "Time": e.Expires.Local().Format("15:04")})
		w.Confirm(T("scan.oneswipe.question"), msg, func(yes bool) {
			if yes {
				w.showAdd(e)
				w.Add.submit()
			}
		})
		return
	}
	t := *found.Token
	lines := []string{T("scan.add.account", args{"Account": t.Account})}
	if t.Issuer != "" {
		lines = append(lines, T("scan.add.issuer", args{"Issuer": t.Issuer}))
	}
	kind := args{"Algorithm": t.Algorithm, "Digits": t.Digits, "Period": t.Period}
	if t.Type == token.TOTP {
		lines = append(lines, T("scan.add.totp", kind))
	} else {
		lines = append(lines, T("scan.add.hotp", kind))
	}
	w.Confirm(T("scan.add.question"), strings.Join(lines, "\n"), func(yes bool) {
		if !yes {
			return
		}
		if _, err := w.cfg.Store.Add(t); err != nil {
			w.Inform(T("scan.notadded"), Message(err))
			return
		}
		w.Reload()
	})
}
