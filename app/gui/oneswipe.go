package gui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/oneswipe"
	"github.com/softtoken/softtoken/token/qr"
)

// SwipeView is the open One Swipe dialog of a token: a QR code with the
// user ID and the passcode of now, for the webcam of the enrol page on
// another PC (guide, section 4.2.4). It follows the token's period.
type SwipeView struct {
	Entry token.Entry
	Image *canvas.Image
	Left  *widget.Label
	// Payload is what the QR code holds now.
	Payload string
	dialog  dialog.Dialog
	code    string
}

// CanSwipe reports whether a token can show One Swipe codes: it must be
// a time-based token enrolled with a softtoken server, whose user ID and
// serial number the server knows.
func CanSwipe(e token.Entry) bool {
	return e.Err == nil && e.Token.Type == token.TOTP && e.Token.EnrolURL != "" && e.Token.Account != ""
}

// ShowSwipe opens the One Swipe dialog for e.
func (w *Window) ShowSwipe(e token.Entry) {
	v := &SwipeView{Entry: e, Image: canvas.NewImageFromImage(nil), Left: widget.NewLabel("")}
	v.Image.FillMode = canvas.ImageFillContain
	v.Image.ScaleMode = canvas.ImageScalePixels
	v.Image.SetMinSize(fyne.NewSize(280, 280))
	host := e.Token.Issuer
	intro := widget.NewLabel(T("swipe.intro", args{"Host": host, "UserID": e.Token.Account}))
	intro.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(intro, v.Image, v.Left)
	v.dialog = dialog.NewCustom(T("swipe.title", args{"Name": entryName(e)}), T("close"), content, w.Win)
	v.dialog.SetOnClosed(func() {
		if w.Swipe == v {
			w.Swipe = nil
		}
	})
	w.Swipe = v
	w.changed() // draws it, and the ticker counts its seconds
	w.showFitted(v.dialog, content, 420)
}

// update redraws the code when the passcode changed, and the countdown.
func (v *SwipeView) update(now time.Time) {
	code, err := v.Entry.Token.Code(now)
	if err != nil {
		v.Left.SetText(Message(err))
		return
	}
	v.Left.SetText(T("swipe.left", args{"Seconds": v.Entry.Token.SecondsLeft(now)}))
	if code == v.code {
		return
	}
	v.code = code
	v.Payload = oneswipe.SignIn{UserID: v.Entry.Token.Account, Passcode: code, Serial: swipeSerial(v.Entry.Token.Serial)}.String()
	img, err := qr.Encode(v.Payload, 280)
	if err != nil {
		v.Left.SetText(Message(err))
		return
	}
	v.Image.Image = img
	v.Image.Refresh()
}

// swipeSerial keeps a serial the One Swipe format can carry.
func swipeSerial(s string) string {
	if len(s) > 64 || strings.TrimFunc(s, func(r rune) bool {
		return r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
	}) != "" {
		return ""
	}
	return s
}
