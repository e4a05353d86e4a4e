package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Tappable makes any object clickable, with the hand pointer over it: a
// row's passcode is one, so that a click on the digits copies them.
type Tappable struct {
	widget.BaseWidget
	Content  fyne.CanvasObject
	OnTapped func()
}

// NewTappable wraps content; onTapped runs on every click.
func NewTappable(content fyne.CanvasObject, onTapped func()) *Tappable {
	t := &Tappable{Content: content, OnTapped: onTapped}
	t.ExtendBaseWidget(t)
	return t
}

// Tapped runs OnTapped.
func (t *Tappable) Tapped(*fyne.PointEvent) {
	if t.OnTapped != nil {
		t.OnTapped()
	}
}

// Cursor is the hand pointer, the sign of something to click.
func (t *Tappable) Cursor() desktop.Cursor { return desktop.PointerCursor }

// CreateRenderer draws the content.
func (t *Tappable) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.Content) }
