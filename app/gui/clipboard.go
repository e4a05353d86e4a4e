package gui

import (
	"time"

	"github.com/softtoken/softtoken/token"
)

// CopySlot copies the passcode of the token in slot (1 to 6), if any.
func (w *Window) CopySlot(slot int) {
	for _, e := range w.entries {
		if e.Slot == slot {
			w.copyEntry(e)
			return
		}
	}
}

// copyEntry copies the passcode e shows: the Copy button, a click on
// the digits, Ctrl+1 to Ctrl+6 and the tray menu all come here. A
// counter-based token's passcode is the one Next code showed last.
func (w *Window) copyEntry(e token.Entry) {
	var code string
	switch {
	case e.Err != nil:
		return
	case e.Token.Type == token.HOTP:
		if code = w.hotp[e.ID]; code == "" {
			w.notice(T("row.pressnext"))
			return
		}
	default:
		var err error
		if code, err = e.Token.Code(w.cfg.Now()); err != nil {
			w.notice(Message(err))
			return
		}
	}
	clip := w.app.Clipboard()
	clip.SetContent(code)
	after := w.clearAfter()
	w.notice(T("notice.copied", args{"Name": e.Token.Label, "Seconds": int(after / time.Second)}))
	w.cfg.After(after, func() {
		// Only if it still holds that passcode: never wipe what the user
		// copied since.
		if clip.Content() == code {
			clip.SetContent("")
		}
	})
}

func (w *Window) clearAfter() time.Duration {
	if w.cfg.ClipboardClear > 0 {
		return w.cfg.ClipboardClear
	}
	return time.Duration(w.Effective().ClipboardClearSeconds.Value) * time.Second
}
