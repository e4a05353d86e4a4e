package gui

import (
	"time"

	"github.com/softtoken/softtoken/token"
)

// Refresh updates the passcodes and countdowns from the tokens in memory:
// it computes passcodes and does no I/O, and redraws only what changed, so
// it is cheap enough to run every second.
func (w *Window) Refresh() {
	now := w.cfg.Now()
	for _, r := range w.list {
		r.update(now, w.hotp[r.Entry.ID], w.pace())
	}
	if w.Compact != nil {
		for _, r := range w.Compact.Rows {
			r.update(now, w.hotp[r.Entry.ID], w.pace())
		}
	}
	if w.Swipe != nil {
		w.Swipe.update(now)
	}
}

// UntilChange is how long after now the window next changes by itself:
// the next second with the focus or a One Swipe code open, else the next
// step of a countdown or the next passcode (SetFocused). The ticker sleeps
// that long, so a window in the background or in the tray wakes only to
// redraw.
func (w *Window) UntilChange(now time.Time) time.Duration {
	start := now.Truncate(time.Second)
	next := start.Add(time.Second)
	if w.pace() == everySecond || w.Swipe != nil {
		return next.Sub(now)
	}
	const longest = 5 * time.Minute // no TOTP row: look again now and then
	for at := next; at.Sub(start) < longest; at = at.Add(time.Second) {
		for _, r := range w.list {
			e := r.Entry
			if e.Err != nil || e.Token.Type != token.TOTP {
				continue
			}
			before, after := e.Token.SecondsLeft(at.Add(-time.Second)), e.Token.SecondsLeft(at)
			period := int(e.Token.Period)
			if after > before || shownSeconds(after, period, w.pace()) != shownSeconds(before, period, w.pace()) ||
				warned(after, w.pace()) != warned(before, w.pace()) {
				return at.Sub(now)
			}
		}
	}
	return start.Add(longest).Sub(now)
}

// Wake receives when the window's pace or rows change (SetFocused,
// Reload), for a ticker sleeping UntilChange to look again.
func (w *Window) Wake() <-chan struct{} { return w.wake }

// SetFocused tells the window whether the app has the focus, and brings
// the countdowns up to date.
//
// Each change on the window costs a redraw of all of it, and a trader's
// window sits beside the programs they work in all day. So only with the
// focus do the seconds left count down every second, in the warning
// colour in the last warnSeconds. Without it (in the background, or
// hidden in the tray, which Fyne does not always tell) they move in steps
// of stepSeconds, rounded down (30 s, then 20 s from 29 s left, 10 s from
// 19 s), and show "≤ 9 s" in the warning colour below the last step:
// never more than is left. A new passcode shows as soon as it starts
// either way.
func (w *Window) SetFocused(focused bool) {
	w.focused = focused
	w.changed()
}

// changed refreshes the window and wakes the ticker (Wake): the pace or
// the rows changed, so its sleep may be too long.
func (w *Window) changed() {
	w.Refresh()
	select {
	case w.wake <- struct{}{}:
	default: // the ticker has yet to take the last one
	}
}

// pace is how often the countdowns move (SetFocused).
type pace int

const (
	everySecond pace = iota // with the focus
	inSteps                 // without it
)

func (w *Window) pace() pace {
	if w.focused {
		return everySecond
	}
	return inSteps
}

// warnSeconds is when the countdown turns to the warning colour with the
// focus (warned).
const warnSeconds = 5

// stepSeconds is the countdown's step in the background (SetFocused):
// with 10 s, a 30 s period redraws the window four times (the new
// passcode, 20 s, 10 s, "≤ 9 s"), where 5 s steps redrew it seven times;
// each redraw of the whole window costs about 10 ms of CPU on a software
// renderer (docs/benchmarks.md, "The idle desktop app").
const stepSeconds = 10

// shownSeconds is the seconds left, of a period, as the countdown shows
// them at pace p (SetFocused): in the background rounded down to a step,
// and below the last step "at most stepSeconds-1" (atMost, in the warning
// colour), so that it never shows more time than is left (a trader
// reading it from another window must never type a code that ends before
// they expect).
func shownSeconds(left, period int, p pace) int {
	switch {
	case p == everySecond:
		return left
	case atMost(left, p):
		return stepSeconds - 1
	}
	return min(left/stepSeconds*stepSeconds, period)
}

// atMost says the countdown shows "at most" a number of seconds rather
// than the seconds left: in the background, below the last step.
func atMost(left int, p pace) bool { return p == inSteps && left < stepSeconds }

// warned says the countdown, with left seconds left, is in the warning
// colour at pace p: in the last warnSeconds with the focus, and from the
// "at most" step without it (so that the colour changes with the text,
// in one redraw).
func warned(left int, p pace) bool {
	if p == inSteps {
		return atMost(left, p)
	}
	return left <= warnSeconds
}
