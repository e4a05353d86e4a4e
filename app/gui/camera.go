package gui

import (
	"context"
	"errors"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/scan"
)

// CameraView is the open webcam dialog: a live preview while the frames
// are searched for a QR code.
type CameraView struct {
	Preview *canvas.Image
	Status  *widget.Label
	dialog  dialog.Dialog
}

// ScanCamera opens the webcam and shows its picture until it sees a QR
// code, then offers what the code holds; Cancel stops the camera.
func (w *Window) ScanCamera() {
	src, err := w.cfg.OpenCamera()
	if err != nil {
		w.Inform(T("camera.none"), Message(err))
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	v := &CameraView{Preview: canvas.NewImageFromImage(nil), Status: widget.NewLabel(T("camera.hold"))}
	v.Preview.FillMode = canvas.ImageFillContain
	v.Preview.SetMinSize(fyne.NewSize(320, 240))
	content := container.NewVBox(v.Preview, v.Status)
	v.dialog = dialog.NewCustom(T("camera.title"), T("Cancel"), content, w.Win)
	v.dialog.SetOnClosed(cancel)
	w.Camera = v
	w.showFitted(v.dialog, content, 400)
	go func() {
		defer src.Close()
		text, err := scan.Watch(ctx, src, func(img image.Image) {
			fyne.Do(func() {
				v.Preview.Image = img
				v.Preview.Refresh()
			})
		})
		cancel()
		fyne.Do(func() {
			v.dialog.Hide()
			if w.Camera == v {
				w.Camera = nil
			}
			if errors.Is(err, context.Canceled) {
				return // the user closed the dialog
			}
			w.offer(text, err)
		})
	}()
}
