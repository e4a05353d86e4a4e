//go:build wine

package wintest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The window under Wine and Xvfb shows every token's name and its current
// passcode, as oathtool computes it: read back from a screenshot by OCR, as
// app/gui's tests read the rows' labels.
func TestWindow(t *testing.T) {
	svc := service(t)
	secrets := []string{randomSecret(t), randomSecret(t)}
	must(t, svc, "", "add", "otpauth://totp/Bank:trader?issuer=Bank&secret="+secrets[0])
	must(t, svc, "", "add", "otpauth://totp/Broker:desk?issuer=Broker&secret="+secrets[1])
	t.Cleanup(func() {
		must(t, svc, "", "delete", "--yes", "2")
		must(t, svc, "", "delete", "--yes", "1")
	})
	startApp(t, svc)
	win := findWindow(t, 60*time.Second)

	var text string
	for try := 0; try < 5; try++ {
		before := time.Now()
		shot := capture(t, win)
		after := time.Now()
		text = ocr(t, shot)
		digits := onlyDigits(text)
		found := 0
		for _, s := range secrets {
			if strings.Contains(digits, oath(t, s, before, "--totp")) || strings.Contains(digits, oath(t, s, after, "--totp")) {
				found++
			}
		}
		if found == len(secrets) {
			t.Logf("OCR read:\n%s", text)
			for _, name := range []string{"trader (Bank)", "desk (Broker)"} {
				if !strings.Contains(text, name) {
					t.Errorf("the window does not show %q; OCR read:\n%s", name, text)
				}
			}
			return
		}
		time.Sleep(time.Second) // a passcode may have turned, or the window not be drawn yet
	}
	t.Errorf("the window does not show the passcodes oathtool computes; OCR read:\n%s", text)
}

// startApp opens the window of the Windows binary for service; it is
// killed when the test ends. Its output is in the returned files.
func startApp(t *testing.T, service string) (cmd *exec.Cmd, stdout, stderr *os.File) {
	t.Helper()
	cmd = exec.Command(wine, exe)
	cmd.Env = append(os.Environ(), "SOFTTOKEN_KEYRING_SERVICE="+service)
	stdout, stderr = tempFile(t), tempFile(t)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("the app's output:\n%s%s", readBack(t, stdout), readBack(t, stderr))
		}
	})
	return cmd, stdout, stderr
}

// findWindow waits for the app's window to be mapped, and returns its X id.
func findWindow(t *testing.T, within time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	out, err := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--name", "^softtoken$").Output()
	ids := strings.Fields(string(out))
	if err != nil || len(ids) == 0 {
		t.Fatalf("no softtoken window after %s: %v", within, err)
	}
	return ids[0]
}

// capture takes a screenshot of window id.
func capture(t *testing.T, id string) string {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "window.png")
	tool(t, "import", "-window", id, shot)
	return shot
}

// ocr reads the text in a screenshot: enlarged, grey, dark text on light
// (negated for a dark theme).
func ocr(t *testing.T, shot string) string {
	t.Helper()
	prepared := strings.TrimSuffix(shot, ".png") + "-ocr.png"
	args := []string{shot, "-resize", "300%", "-colorspace", "Gray"}
	if mean, err := strconv.ParseFloat(tool(t, "convert", shot, "-colorspace", "Gray", "-format", "%[fx:mean]", "info:"), 64); err == nil && mean < 0.5 {
		args = append(args, "-negate")
	}
	tool(t, "convert", append(args, prepared)...)
	return tool(t, "tesseract", prepared, "-", "--psm", "6")
}

func onlyDigits(s string) string { return regexp.MustCompile(`[^0-9\n]`).ReplaceAllString(s, "") }

// A second launch of the window, while the first is minimised, ends at
// once saying so, and the first window comes back: restored and shown,
// the only softtoken window (the single-instance guard's named pipe).
func TestSecondLaunchRaisesTheFirst(t *testing.T) {
	svc := service(t)
	must(t, svc, "", "add", "otpauth://totp/Bank:trader?issuer=Bank&secret="+randomSecret(t))
	t.Cleanup(func() { must(t, svc, "", "delete", "--yes", "1") })
	startApp(t, svc)
	win := findWindow(t, 60*time.Second)
	tool(t, "xdotool", "windowminimize", "--sync", win)
	if state := wmState(t, win); state != "Iconic" {
		t.Fatalf("the minimised window's WM_STATE is %q, want Iconic", state)
	}

	out, errOut, err := softtokenWithin(t, time.Minute, svc, "")
	if err != nil || !strings.Contains(errOut, "softtoken is already running: its window was brought to the front") {
		t.Fatalf("the second launch: %v\n%s%s", err, out, errOut)
	}
	var state string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if state = wmState(t, win); state == "Normal" {
			break
		}
	}
	if state != "Normal" {
		t.Errorf("after the second launch the first window's WM_STATE is %q, want Normal", state)
	}
	visible, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^softtoken$").Output()
	if ids := strings.Fields(string(visible)); len(ids) != 1 || ids[0] != win {
		t.Errorf("visible softtoken windows: %v, want only %s", ids, win)
	}
}

// wmState is the window's ICCCM WM_STATE as xprop tells it: Normal,
// Iconic or Withdrawn ("" when it has none).
func wmState(t *testing.T, win string) string {
	t.Helper()
	out := tool(t, "xprop", "-id", win, "WM_STATE")
	if m := regexp.MustCompile(`window state: (\w+)`).FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// The scan dialog on Windows offers the screen, an image file and the
// clipboard, and no webcam, which the app cannot read there (docs/qr.md).
func TestScanDialogWithoutWebcam(t *testing.T) {
	svc := service(t)
	startApp(t, svc)
	win := findWindow(t, 60*time.Second)
	clickWord(t, win, "Scan")
	var text string
	for try := 0; try < 10; try++ {
		time.Sleep(500 * time.Millisecond)
		if text = ocr(t, capture(t, win)); strings.Contains(text, "Scan the screen") {
			break
		}
	}
	flat := strings.Join(strings.Fields(text), " ") // the hint wraps
	for _, want := range []string{"Scan the screen", "Open an image", "Paste a copied image", "or copy the image and paste it."} {
		if !strings.Contains(flat, want) {
			t.Errorf("the scan dialog lacks %q; OCR read:\n%s", want, text)
		}
	}
	if strings.Contains(strings.ToLower(text), "webcam") {
		t.Errorf("the scan dialog offers a webcam; OCR read:\n%s", text)
	}
}

// clickWord clicks, as a user would, the first word OCR reads as starting
// with word in the window (OCR may run a button's icon or next word into
// it), trying a few screenshots while the window draws.
func clickWord(t *testing.T, win, word string) {
	t.Helper()
	for try := 0; try < 5; try++ {
		if clickWordOnce(t, win, word) {
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("no %q in the window to click", word)
}

func clickWordOnce(t *testing.T, win, word string) bool {
	t.Helper()
	shot := capture(t, win)
	prepared := strings.TrimSuffix(shot, ".png") + "-ocr.png"
	const scale = 3
	tool(t, "convert", shot, "-resize", strconv.Itoa(100*scale)+"%", "-colorspace", "Gray", prepared)
	// TSV: level page block par line word left top width height conf text.
	for _, line := range strings.Split(tool(t, "tesseract", prepared, "-", "--psm", "6", "tsv"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 12 || !strings.HasPrefix(f[11], word) {
			continue
		}
		n := make([]int, 4)
		for i := range n {
			n[i], _ = strconv.Atoi(f[6+i])
		}
		x, y := (n[0]+n[2]/2)/scale, (n[1]+n[3]/2)/scale
		tool(t, "xdotool", "mousemove", "--window", win, strconv.Itoa(x), strconv.Itoa(y), "click", "1")
		return true
	}
	return false
}
