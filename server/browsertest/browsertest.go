// Package browsertest drives Debian's Chromium, headless, from tests of
// the companion server's pages (github.com/chromedp/chromedp), and makes
// fake webcam files for One Swipe. Under `make test`
// (SOFTTOKEN_REQUIRE_TOOLS=1) a missing Chromium or ffmpeg fails the test;
// elsewhere the test is skipped, and so it is with -short (testing.Short):
// a browser takes seconds.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Timeout bounds every browser step of a test.
const Timeout = 30 * time.Second

func require(t testing.TB, tool string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("%s: slow, skipped with -short", tool)
	}
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("SOFTTOKEN_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is required: %v", tool, err)
		}
		t.Skipf("%s not installed", tool)
	}
	return path
}

// New starts a headless Chromium with a fresh profile and returns a
// context for chromedp.Do and chromedp.Run; the browser ends with the
// test. extra adds command-line flags (for instance FakeCamera's).
func New(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	bin := require(t, "chromium")
	profile := t.TempDir()
	// No offer to save passwords: its bubble would cover the page.
	if err := os.MkdirAll(filepath.Join(profile, "Default"), 0o700); err != nil {
		t.Fatal(err)
	}
	prefs := `{"credentials_enable_service": false, "profile": {"password_manager_enabled": false}}`
	if err := os.WriteFile(filepath.Join(profile, "Default", "Preferences"), []byte(prefs), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(900, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, extra...)...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action starts the browser; it must not run under a
	// timeout, which would end the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Step runs actions with the step timeout and fails the test on error.
func Step(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Get runs one action that returns a value, with the step timeout.
func Get[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// FakeCamera turns a PNG into a webcam for Chromium: a 640×480 Y4M file
// (4:2:0, the picture centred on white) that loops, and the flags that
// make Chromium use it without asking.
func FakeCamera(t testing.TB, pngData []byte) chromedp.ExecAllocatorOption {
	t.Helper()
	ffmpeg := require(t, "ffmpeg")
	dir := t.TempDir()
	in, y4m := filepath.Join(dir, "code.png"), filepath.Join(dir, "camera.y4m")
	if err := os.WriteFile(in, pngData, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ffmpeg, "-loglevel", "error", "-y", "-i", in,
		"-vf", "format=rgb24,pad=640:480:(ow-iw)/2:(oh-ih)/2:white", "-frames:v", "1", "-pix_fmt", "yuv420p", y4m)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make the fake camera: %v\n%s", err, out)
	}
	return func(a *chromedp.ExecAllocator) {
		chromedp.Flag("use-fake-ui-for-media-stream", true)(a)
		chromedp.Flag("use-fake-device-for-media-stream", true)(a)
		chromedp.Flag("use-file-for-fake-video-capture", y4m)(a)
	}
}

// Screenshot saves the page as NAME.png in $SOFTTOKEN_SCREENSHOTS, when
// set: that is how docs/screenshots are made.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SOFTTOKEN_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := Get(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// WaitText waits until the page's text holds want, across navigations,
// and fails the test with the page's text when it does not in time.
func WaitText(t testing.TB, ctx context.Context, want string) {
	t.Helper()
	if !poll(ctx, fmt.Sprintf(`!!document.body && document.body.innerText.includes(%q)`, want)) {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		t.Fatalf("the page does not say %q; it says:\n%s", want, body)
	}
}

// WaitTrue waits until the JavaScript expression is true, and fails the
// test when it is not in time. Unlike chromedp.Poll it keeps trying
// across navigations and in windows that do not paint.
func WaitTrue(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	if !poll(ctx, expr) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

func poll(ctx context.Context, expr string) bool {
	deadline := time.Now().Add(Timeout)
	for time.Now().Before(deadline) {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(sctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
