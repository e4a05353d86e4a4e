package stress

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// FrameBombs posts n camera frames that are PNG bombs (10000×10000 16-bit
// grey: 200 MB decoded from about 190 KB), 8 at a time, from two anonymous
// enrol-site sessions, as anyone on the Internet could. Every one must be
// refused (413) and the server's peak memory must grow by less than 50 MB:
// the frames are refused from their headers, never decoded.
func FrameBombs(n int) Scenario {
	return Scenario{Name: "frame-bombs", Run: func(ctx context.Context, e Env) error {
		db := filepath.Join(e.Dir, "frame-bombs.db")
		if _, err := prepare(ctx, db, 0, cheap); err != nil {
			return err
		}
		p, err := e.start(ctx, db, "--frame-rate", "100000")
		if err != nil {
			return err
		}
		defer p.Stop()
		base := "http://" + p.Addr + "/secenrol/"
		var sessions [2]*pageSession
		for i := range sessions {
			if sessions[i], err = newPageSession(base); err != nil {
				return err
			}
		}
		if err := p.ResetPeak(); err != nil {
			return err
		}
		before, err := p.Usage()
		if err != nil {
			return err
		}
		bomb := PNGBomb(10000, 10000)
		statuses := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		start := time.Now()
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				status := sessions[i%2].postFrame(bomb)
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		after, err := p.Usage()
		if err != nil {
			return err
		}
		grew := after.Peak - before.RSS
		e.Report.Printf("frame-bombs: %d bombs of %d KB (200 MB decoded each) in %s: answers %v; peak memory grew by %.1f MB",
			n, len(bomb)>>10, time.Since(start).Round(100*time.Millisecond), statuses, mb(grew))
		if statuses[http.StatusRequestEntityTooLarge] != n {
			e.Report.Failf("frame-bombs: answers %v, want %d × 413", statuses, n)
		}
		if grew >= 50<<20 {
			e.Report.Failf("frame-bombs: peak memory grew by %.0f MB: frames were decoded", mb(grew))
		}
		return nil
	}}
}

// pageSession is an anonymous enrol-site session: its cookie and CSRF
// token.
type pageSession struct {
	client *http.Client
	base   string
	csrf   string
}

var csrfMeta = regexp.MustCompile(`name="csrf" (?:value|content)="([^"]+)"`)

func newPageSession(base string) (*pageSession, error) {
	jar, _ := cookiejar.New(nil) // no options: no error
	s := &pageSession{client: &http.Client{Jar: jar, Timeout: time.Minute}, base: base}
	resp, err := s.client.Get(base)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := csrfMeta.FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("no CSRF token on the sign-in page (HTTP %d)", resp.StatusCode)
	}
	s.csrf = string(m[1])
	return s, nil
}

// postFrame sends a camera frame and returns the answer's status (0 when
// there was none).
func (s *pageSession) postFrame(frame []byte) int {
	req, _ := http.NewRequest("POST", s.base+"oneswipe/read", bytes.NewReader(frame)) // a valid method and URL
	req.Header.Set("X-CSRF-Token", s.csrf)
	req.Header.Set("Content-Type", "image/png")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
