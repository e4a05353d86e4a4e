package instance

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// pipePrefix starts every named pipe's name.
const pipePrefix = `\\.\pipe\`

// Path is the named pipe for a keyring service and the current user:
// \\.\pipe\softtoken-SID-SERVICE. Pipe names are machine-wide, so the
// user's SID keeps two users of one PC (a terminal server) apart.
func Path(service string) (string, error) {
	sid, err := currentSID()
	if err != nil {
		return "", err
	}
	name := safeName(service)
	if len(name) > 64 {
		sum := sha256.Sum256([]byte(service))
		name = name[:32] + "-" + hex.EncodeToString(sum[:8])
	}
	return pipePrefix + "softtoken-" + sid + "-" + name, nil
}

// Acquire makes this process the instance at the pipe path, calling onShow
// (from another goroutine) whenever a later launch asks it to show itself;
// release gives the pipe up. If another instance answers at path, Acquire
// lets it take the foreground, asks it to show itself and returns
// ErrRunning. A pipe vanishes with the process that made it, so a crash
// leaves nothing behind.
func Acquire(path string, onShow func()) (release func(), err error) {
	sid, err := currentSID()
	if err != nil {
		return nil, err
	}
	// Two launches at once: a named mutex makes them take turns, as the
	// lock file does on Unix.
	unlock, err := lockName(strings.TrimPrefix(path, pipePrefix))
	if err != nil {
		return nil, err
	}
	defer unlock()
	// A pipe of this name held by another user (names are machine-wide
	// and SIDs no secret: a squatter) is not softtoken: dialPipe refuses
	// it, and this launch runs without the guard (listenPipe fails and the
	// caller warns) rather than exit on a stranger's word.
	if c, pid, err := dialPipe(path, sid); err == nil {
		// Windows lets the process the user just started take the
		// foreground, not one in the background, unless allowed.
		_, _, _ = allowSetForegroundWindow.Call(uintptr(pid))
		if askToShow(c) {
			return nil, ErrRunning
		}
	}
	l, err := listenPipe(path, sid)
	if err != nil {
		return nil, fmt.Errorf("instance pipe: %w", err)
	}
	go serve(l.accept, onShow)
	return l.close, nil
}

func currentSID() (string, error) {
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("find the user for the instance pipe: %w", err)
	}
	return tu.User.Sid.String(), nil
}

var allowSetForegroundWindow = windows.NewLazySystemDLL("user32.dll").NewProc("AllowSetForegroundWindow")

// lockName takes the named mutex name, waiting up to 10 s for another
// launch to release it; unlock releases it. A mutex belongs to a thread,
// so the goroutine keeps its thread until unlock.
func lockName(name string) (unlock func(), err error) {
	runtime.LockOSThread()
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	h, err := windows.CreateMutex(nil, false, n)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	// WAIT_ABANDONED: a launch that held it crashed; the mutex is ours.
	if ev, err := windows.WaitForSingleObject(h, 10_000); err != nil || (ev != windows.WAIT_OBJECT_0 && ev != windows.WAIT_ABANDONED) {
		windows.CloseHandle(h)
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("instance lock: another launch holds it (%d, %v)", ev, err)
	}
	return func() {
		windows.ReleaseMutex(h)
		windows.CloseHandle(h)
		runtime.UnlockOSThread()
	}, nil
}

// errNotOurs says the process holding the pipe runs as another user.
var errNotOurs = errors.New("the instance pipe is held by another user's process")

// dialPipe connects to the instance at path, if its process runs as the
// user sid, and tells its process id. The pipe's server may only identify
// this process, not act as it (SECURITY_IDENTIFICATION).
func dialPipe(path, sid string) (io.ReadWriteCloser, uint32, error) {
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, 0, err
	}
	for end := time.Now().Add(dialTimeout); ; time.Sleep(20 * time.Millisecond) {
		h, err := windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING,
			windows.SECURITY_SQOS_PRESENT|windows.SECURITY_IDENTIFICATION, 0)
		if err == nil {
			pid, ours := serverOf(h, sid)
			if !ours {
				windows.CloseHandle(h)
				return nil, 0, errNotOurs
			}
			return os.NewFile(uintptr(h), path), pid, nil
		}
		// Busy: the instance is between two launches' connections.
		if !errors.Is(err, windows.ERROR_PIPE_BUSY) || time.Now().After(end) {
			return nil, 0, err
		}
	}
}

// serverOf tells the process id at the other end of the pipe h, and
// whether that process runs as the user sid.
func serverOf(h windows.Handle, sid string) (pid uint32, ours bool) {
	if err := windows.GetNamedPipeServerProcessId(h, &pid); err != nil {
		return 0, false
	}
	p, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return pid, false
	}
	defer windows.CloseHandle(p)
	var tok windows.Token
	if err := windows.OpenProcessToken(p, windows.TOKEN_QUERY, &tok); err != nil {
		return pid, false
	}
	defer tok.Close()
	tu, err := tok.GetTokenUser()
	if err != nil {
		return pid, false
	}
	return pid, tu.User.Sid.String() == sid
}

// pipeListener hands out the connections to a named pipe: one instance of
// the pipe always waits for the next launch.
type pipeListener struct {
	path   string
	sid    string // the user, who alone may connect
	name   *uint16
	sa     *windows.SecurityAttributes
	next   windows.Handle // the instance waiting, touched by accept only
	closed atomic.Bool
}

// listenPipe creates the pipe as its first instance (Windows refuses that
// while another process holds the name), accessible to the user sid only:
// nobody else may answer, or ask.
func listenPipe(path, sid string) (*pipeListener, error) {
	sd, err := windows.SecurityDescriptorFromString("D:P(A;;GA;;;" + sid + ")")
	if err != nil {
		return nil, err
	}
	l := &pipeListener{path: path, sid: sid, sa: &windows.SecurityAttributes{SecurityDescriptor: sd}}
	l.sa.Length = uint32(unsafe.Sizeof(*l.sa))
	if l.name, err = windows.UTF16PtrFromString(path); err != nil {
		return nil, err
	}
	if l.next, err = l.create(windows.FILE_FLAG_FIRST_PIPE_INSTANCE); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *pipeListener) create(flags uint32) (windows.Handle, error) {
	return windows.CreateNamedPipe(l.name, windows.PIPE_ACCESS_DUPLEX|flags,
		windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT|windows.PIPE_REJECT_REMOTE_CLIENTS,
		windows.PIPE_UNLIMITED_INSTANCES, 512, 512, 0, l.sa)
}

var errClosed = errors.New("instance pipe closed")

// accept waits for the next launch to connect.
func (l *pipeListener) accept() (io.ReadWriteCloser, error) {
	h := l.next
	err := windows.ConnectNamedPipe(h, nil)
	if l.closed.Load() {
		windows.CloseHandle(h)
		return nil, errClosed
	}
	if err != nil && !errors.Is(err, windows.ERROR_PIPE_CONNECTED) {
		windows.CloseHandle(h)
		return nil, err
	}
	if l.next, err = l.create(0); err != nil {
		windows.CloseHandle(h)
		return nil, err
	}
	return os.NewFile(uintptr(h), l.path), nil
}

// close stops accept: it connects once more, so that the waiting
// ConnectNamedPipe returns and sees the listener closed.
func (l *pipeListener) close() {
	if l.closed.Swap(true) {
		return
	}
	if c, _, err := dialPipe(l.path, l.sid); err == nil {
		c.Close()
	}
}
