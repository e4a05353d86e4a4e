//go:build windows && amd64

package autotype

import (
	"context"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The Windows side: SendInput with KEYEVENTF_UNICODE types each character
// whatever the keyboard layout (the digit is a character, not a key), and
// RegisterHotKey delivers the hotkeys to a thread of their own.

var (
	user32                 = windows.NewLazySystemDLL("user32.dll")
	procSendInput          = user32.NewProc("SendInput")
	procGetAsyncKeyState   = user32.NewProc("GetAsyncKeyState")
	procRegisterHotKey     = user32.NewProc("RegisterHotKey")
	procUnregisterHotKey   = user32.NewProc("UnregisterHotKey")
	procGetMessageW        = user32.NewProc("GetMessageW")
	procPostThreadMessageW = user32.NewProc("PostThreadMessageW")
)

const (
	inputKeyboard    = 1
	keyeventfKeyUp   = 0x0002
	keyeventfUnicode = 0x0004
	vkReturn         = 0x0D
	wmHotkey         = 0x0312
	wmQuit           = 0x0012
	modAlt           = 0x0001
	modControl       = 0x0002
	modShift         = 0x0004
	modWin           = 0x0008
	modNoRepeat      = 0x4000
)

// keyInput is INPUT holding a KEYBDINPUT, as 64-bit Windows lays it out
// (40 bytes: the union is as large as a MOUSEINPUT).
type keyInput struct {
	typ     uint32
	_       uint32
	vk      uint16
	scan    uint16
	flags   uint32
	time    uint32
	_       uint32
	extra   uintptr
	_padEnd [8]byte
}

// msg is MSG.
type msg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	x, y    int32
	private uint32
}

// modifierKeys are the virtual keys a hotkey's typing waits to be let go:
// Shift, Ctrl, Alt and the Windows keys.
var modifierKeys = []uintptr{0x10, 0x11, 0x12, 0x5B, 0x5C}

// sendInput is the Windows typer.
type sendInput struct{}

// Open is the typer of this session: SendInput.
func Open() (Typer, error) { return sendInput{}, nil }

// Close does nothing: SendInput holds nothing open.
func (sendInput) Close() error { return nil }

// Type types text into the focused window: each character as a Unicode
// key, "\n" as Return; after the keys of the hotkey are let go.
func (sendInput) Type(ctx context.Context, text string, delay time.Duration) error {
	if err := awaitRelease(ctx); err != nil {
		return err
	}
	for _, r := range text {
		var in [2]keyInput
		if r == '\n' {
			in = [2]keyInput{{typ: inputKeyboard, vk: vkReturn}, {typ: inputKeyboard, vk: vkReturn, flags: keyeventfKeyUp}}
		} else if r < 0x20 || r > 0xffff {
			return fmt.Errorf("type %q: only digits, letters and Enter are typed", r)
		} else {
			in = [2]keyInput{{typ: inputKeyboard, scan: uint16(r), flags: keyeventfUnicode},
				{typ: inputKeyboard, scan: uint16(r), flags: keyeventfUnicode | keyeventfKeyUp}}
		}
		n, _, err := procSendInput.Call(2, uintptr(unsafe.Pointer(&in[0])), unsafe.Sizeof(in[0]))
		if n != 2 {
			return fmt.Errorf("type a key (SendInput; another program may block input): %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
	return nil
}

// awaitRelease waits until no modifier is held, up to releaseWait, then
// releases those still held, so that Ctrl+Alt never combine with the
// digits typed.
func awaitRelease(ctx context.Context) error {
	deadline := time.Now().Add(releaseWait)
	for {
		var held []uintptr
		for _, vk := range modifierKeys {
			if s, _, _ := procGetAsyncKeyState.Call(vk); s&0x8000 != 0 {
				held = append(held, vk)
			}
		}
		if len(held) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			for _, vk := range held {
				up := keyInput{typ: inputKeyboard, vk: uint16(vk), flags: keyeventfKeyUp}
				procSendInput.Call(1, uintptr(unsafe.Pointer(&up)), unsafe.Sizeof(up))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Listen registers the hotkeys (RegisterHotKey, on a thread of its own
// whose message loop receives them) and calls fired with the index of the
// one pressed until ctx ends. A hotkey another program holds is an error
// naming it, and none is kept.
func Listen(ctx context.Context, keys []Hotkey, fired func(i int)) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := windows.GetCurrentThreadId()
	for i, h := range keys {
		ok, _, err := procRegisterHotKey.Call(0, uintptr(i+1), uintptr(h.winModifiers()|modNoRepeat), uintptr(h.virtualKey()))
		if ok == 0 {
			for j := range i {
				procUnregisterHotKey.Call(0, uintptr(j+1))
			}
			return fmt.Errorf("hotkey %s is taken by another program (%v): choose another in Settings", h, err)
		}
	}
	defer func() {
		for i := range keys {
			procUnregisterHotKey.Call(0, uintptr(i+1))
		}
	}()
	stop := context.AfterFunc(ctx, func() { procPostThreadMessageW.Call(uintptr(tid), wmQuit, 0, 0) })
	defer stop()
	for {
		var m msg
		r, _, err := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
		switch int32(r) {
		case 0: // WM_QUIT
			return nil
		case -1:
			return fmt.Errorf("wait for a hotkey: %w", err)
		}
		if m.message == wmHotkey && m.wParam >= 1 && int(m.wParam) <= len(keys) {
			go fired(int(m.wParam) - 1)
		}
	}
}

// winModifiers is h's modifiers as RegisterHotKey takes them.
func (h Hotkey) winModifiers() uint32 {
	var m uint32
	for _, b := range []struct {
		on  bool
		bit uint32
	}{{h.Ctrl, modControl}, {h.Alt, modAlt}, {h.Shift, modShift}, {h.Super, modWin}} {
		if b.on {
			m |= b.bit
		}
	}
	return m
}

// virtualKey is h's key as a virtual-key code: a digit's or an upper-case
// letter's own code, the same key on every layout's top row.
func (h Hotkey) virtualKey() uint32 {
	if h.Key >= 'a' && h.Key <= 'z' {
		return uint32(h.Key - 'a' + 'A')
	}
	return uint32(h.Key)
}
