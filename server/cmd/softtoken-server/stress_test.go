package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/servertest"
)

// TestStressFrameBombs (make stress; SOFTTOKEN_STRESS=1): the real
// server binary gets 40 camera frames that are PNG bombs (10000×10000
// 16-bit pixels, 200 MB decoded, about 190 KB each), 8 at a time, from
// two anonymous enrol-site sessions. Every one is answered 413, and the
// server's peak resident memory (VmHWM) grows by less than 50 MB.
func TestStressFrameBombs(t *testing.T) {
	if os.Getenv("SOFTTOKEN_STRESS") != "1" {
		t.Skip("a stress test: make stress runs it (SOFTTOKEN_STRESS=1)")
	}
	pid, base := startServer(t)
	bomb := servertest.PNGBomb(10000, 10000)
	sessions := []*session{newSession(t, base), newSession(t, base)}
	before := peakRSS(t, pid)
	var wg sync.WaitGroup
	statuses := make(chan int, 40)
	sem := make(chan struct{}, 8)
	for i := range 40 {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			statuses <- sessions[i%2].post(t, bomb)
		})
	}
	wg.Wait()
	close(statuses)
	for status := range statuses {
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("a frame bomb was answered %d, want 413", status)
		}
	}
	grew := peakRSS(t, pid) - before
	t.Logf("peak resident memory grew by %d KB over 40 frame bombs", grew>>10)
	if grew >= 50<<20 {
		t.Fatalf("the server's peak memory grew by %d MB: frames were decoded", grew>>20)
	}
}

// startServer builds and starts softtoken-server serve on 127.0.0.1:0
// with a fresh database, and returns its process ID and enrol site URL.
func startServer(t *testing.T) (int, string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "softtoken-server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--db", filepath.Join(dir, "softtoken.db"), "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "SOFTTOKEN_ENROL_URL=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				urls <- line.URL
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd.Process.Pid, u + "/secenrol/"
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not start")
	}
	return 0, ""
}

// session is an anonymous enrol-site session: its cookie and CSRF token.
type session struct {
	client *http.Client
	base   string
	csrf   string
}

var csrfMeta = regexp.MustCompile(`name="csrf" (?:value|content)="([^"]+)"`)

func newSession(t *testing.T, base string) *session {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	s := &session{client: &http.Client{Jar: jar, Timeout: time.Minute}, base: base}
	resp, err := s.client.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := csrfMeta.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the sign-in page (%d)", resp.StatusCode)
	}
	s.csrf = string(m[1])
	return s
}

// post sends a camera frame and returns the answer's status.
func (s *session) post(t *testing.T, frame []byte) int {
	req, _ := http.NewRequest("POST", s.base+"oneswipe/read", bytes.NewReader(frame))
	req.Header.Set("X-CSRF-Token", s.csrf)
	req.Header.Set("Content-Type", "image/png")
	resp, err := s.client.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// peakRSS is a process's peak resident memory (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc to measure memory: %v", err)
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
