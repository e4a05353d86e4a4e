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
	screen := widget.NewButton("Scan the screen", func() { d.Hide(); w.ScanScreen() })
	file := widget.NewButton("Open an image…", func() { d.Hide(); w.openImage() })
	paste := widget.NewButton("Paste a copied image", func() { d.Hide(); w.ScanClipboard() })
	camera := widget.NewButton("Use the webcam", func() { d.Hide(); w.ScanCamera() })
	hint := widget.NewLabel("Show the QR code on the screen, open or drop an image of it (PNG, JPEG, GIF), copy the image and paste it, or hold it up to the webcam.")
	hint.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(hint, screen, file, paste, camera)
	if !scan.CameraSupported { // Windows, macOS: no webcam (docs/qr.md)
		hint.SetText("Show the QR code on the screen, open or drop an image of it (PNG, JPEG, GIF), or copy the image and paste it.")
		content.Remove(camera)
	}
	d = dialog.NewCustom("Scan a QR code", "Cancel", content, w.Win)
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
		w.Inform("No picture to paste", sentence(err.Error()))
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
	for _, u := range uris {
		r, err := storage.Reader(u)
		if err != nil {
			w.offer("", fmt.Errorf("open %s: %w", u.Name(), err))
			return
		}
		text, err := decodeReader(r)
		r.Close()
		w.offer(text, err)
		return // one code at a time
	}
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
		w.Inform("No QR code found", sentence(err.Error()))
		return
	case errors.Is(err, scan.ErrNotToken), errors.Is(err, scan.ErrSignInCode):
		w.Inform("Not a token", sentence(err.Error()))
		return
	case err != nil:
		w.Inform("Cannot use this code", sentence(err.Error()))
		return
	}
	if len(w.entries) >= token.MaxTokens {
		w.Inform("Six tokens", token.ErrFull.Error())
		return
	}
	if e := found.Enrolment; e != nil {
		msg := fmt.Sprintf("Account: %s\nServer: %s\nThe code works once, until %s.", e.UserID, e.EnrolURL, e.Expires.Local().Format("15:04"))
		w.Confirm("Enrol with this One Swipe code?", msg, func(yes bool) {
			if yes {
				w.showAdd(e)
				w.Add.submit()
			}
		})
		return
	}
	t := *found.Token
	var b strings.Builder
	fmt.Fprintf(&b, "Account: %s\n", t.Account)
	if t.Issuer != "" {
		fmt.Fprintf(&b, "Issuer: %s\n", t.Issuer)
	}
	fmt.Fprintf(&b, "Kind: %s %s, %d digits", strings.ToUpper(string(t.Type)), t.Algorithm, t.Digits)
	if t.Type == token.TOTP {
		fmt.Fprintf(&b, ", %d s", t.Period)
	}
	w.Confirm("Add this token?", b.String(), func(yes bool) {
		if !yes {
			return
		}
		if _, err := w.cfg.Store.Add(t); err != nil {
			w.Inform("Not added", sentence(err.Error()))
			return
		}
		w.Reload()
	})
}
