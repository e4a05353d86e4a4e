//go:build wine

package wintest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The tests' wineserver runs in the foreground, as a child of the test
// binary, so that its end is seen: Wine 8.0's wineserver now and then
// crashes when a registered hotkey is pressed in the running app
// ("wineserver crashed, please enable coredumps"), taking every Windows
// process and the unsaved registry (the Credential Manager's tokens) with
// it. A plain C program registering the same hotkeys and typing the same
// way does not make it crash, and on Windows a program cannot crash the
// window server; so TestHotkeyTypes tries again on a fresh wineserver,
// and says so, rather than fail on Wine's crash.
var wineserver struct {
	sync.Mutex
	cmd     *exec.Cmd
	ended   chan struct{}
	crashes int
	log     string
}

// startWineserver starts a persistent wineserver for the prefix, in the
// foreground, unless one of ours runs.
func startWineserver() error {
	wineserver.Lock()
	defer wineserver.Unlock()
	if wineserver.cmd != nil {
		select {
		case <-wineserver.ended:
		default:
			return nil // running
		}
	}
	// One started by wine itself (wineboot) would hold the prefix.
	_ = exec.Command("/usr/lib/wine/wineserver", "-k").Run()
	_ = exec.Command("/usr/lib/wine/wineserver", "-w").Run()
	wineserver.log = filepath.Join(prefix, "wineserver.log")
	out, err := os.OpenFile(wineserver.log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command("/usr/lib/wine/wineserver", "--foreground", "--persistent")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start wineserver: %w", err)
	}
	ended := make(chan struct{})
	go func() {
		err := cmd.Wait()
		out.Close()
		wineserver.Lock()
		if err != nil {
			wineserver.crashes++
		}
		wineserver.Unlock()
		close(ended)
	}()
	wineserver.cmd, wineserver.ended = cmd, ended
	return nil
}

// wineserverCrashes is how many times the tests' wineserver has crashed.
func wineserverCrashes() int {
	wineserver.Lock()
	defer wineserver.Unlock()
	return wineserver.crashes
}

// stopWineserver ends the tests' wineserver and every Windows process.
func stopWineserver() {
	_ = exec.Command("/usr/lib/wine/wineserver", "-k").Run()
	wineserver.Lock()
	ended := wineserver.ended
	wineserver.Unlock()
	if ended != nil {
		<-ended
	}
}

// afterCrash starts a new wineserver once the last one crashed, and tells
// what the crashed one said.
func afterCrash(t *testing.T) {
	t.Helper()
	wineserver.Lock()
	ended := wineserver.ended
	wineserver.Unlock()
	<-ended
	b, _ := os.ReadFile(wineserver.log)
	t.Logf("Wine's wineserver crashed (a Wine bug: see wineserver_test.go); its last words: %s", strings.TrimSpace(string(b)))
	if err := startWineserver(); err != nil {
		t.Fatal(err)
	}
}
