package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Countdown is a thin bar showing how much of a passcode's period is left,
// in the primary colour, or the warning colour near the end.
type Countdown struct {
	widget.BaseWidget
	// Value is the fraction left, 0 to 1.
	Value float64
	// Warning switches to the warning colour.
	Warning bool
}

// NewCountdown returns a full bar.
func NewCountdown() *Countdown {
	c := &Countdown{Value: 1}
	c.ExtendBaseWidget(c)
	return c
}

// Set changes the bar and redraws it.
func (c *Countdown) Set(value float64, warning bool) {
	c.Value, c.Warning = value, warning
	c.Refresh()
}

// CreateRenderer draws the bar.
func (c *Countdown) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(color.Transparent)
	fg := canvas.NewRectangle(color.Transparent)
	r := &countdownRenderer{c: c, bg: bg, fg: fg}
	r.Refresh()
	return r
}

type countdownRenderer struct {
	c      *Countdown
	bg, fg *canvas.Rectangle
}

const countdownHeight = 4

func (r *countdownRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	r.bg.Move(fyne.NewPos(0, 0))
	v := max(0, min(1, r.c.Value))
	r.fg.Resize(fyne.NewSize(size.Width*float32(v), size.Height))
	r.fg.Move(fyne.NewPos(0, 0))
}

func (r *countdownRenderer) MinSize() fyne.Size { return fyne.NewSize(40, countdownHeight) }

func (r *countdownRenderer) Refresh() {
	th := r.c.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.bg.FillColor = th.Color(theme.ColorNameInputBackground, v)
	name := theme.ColorNamePrimary
	if r.c.Warning {
		name = theme.ColorNameWarning
	}
	r.fg.FillColor = th.Color(name, v)
	r.Layout(r.c.Size())
	r.bg.Refresh()
	r.fg.Refresh()
}

func (r *countdownRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.fg} }

func (r *countdownRenderer) Destroy() {}
