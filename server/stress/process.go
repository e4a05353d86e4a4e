package stress

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ServerGODEBUG is the GODEBUG of the server as deployed
// (server/packaging/softtoken-server.service, server/Containerfile): freed
// memory goes back to the kernel with MADV_FREE (docs/deploy.md, "Memory
// given back").
const ServerGODEBUG = "madvdontneed=0"

// Process is a softtoken-server serving on 127.0.0.1, watched from
// outside: its CPU time and memory are read from /proc, as an operator's
// tools would.
type Process struct {
	cmd  *exec.Cmd
	done chan error
	// Addr is where it listens (host:port).
	Addr string
	mu   sync.Mutex
	log  strings.Builder // the last lines of its log, for a failure report
}

// Start runs `bin serve --db db --listen 127.0.0.1:0 args…` and waits until
// it listens; its log also goes to logTo, if not nil. The server runs
// with the runtime setting the systemd unit and the container image give
// it (ServerGODEBUG).
func Start(ctx context.Context, bin, db string, logTo io.Writer, args ...string) (*Process, error) {
	cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--db", db, "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "SOFTTOKEN_DB=", "GODEBUG="+ServerGODEBUG)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Process{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	var r io.Reader = stderr
	if logTo != nil {
		r = io.TeeReader(stderr, logTo)
	}
	go p.readLog(r, addr)
	go func() { p.done <- cmd.Wait() }()
	select {
	case a := <-addr:
		p.Addr = a
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("the server ended before it listened (%v): %s", err, p.Log())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("the server did not listen within 60 s: %s", p.Log())
	}
}

// readLog keeps the server's log and sends its address once it says
// "serving".
func (p *Process) readLog(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		if p.log.Len() < 64<<10 {
			p.log.WriteString(line + "\n")
		}
		p.mu.Unlock()
		var rec struct{ Msg, URL string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" {
			addr <- strings.TrimPrefix(strings.TrimPrefix(rec.URL, "http://"), "https://")
		}
	}
}

// Log is the start of the server's log.
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// Stop ends the server with SIGTERM, as an init system would, and waits.
func (p *Process) Stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		return errors.New("the server did not stop within 30 s of SIGTERM")
	}
}

// Usage is what the kernel says the server process used so far.
type Usage struct {
	// CPU is user plus system time, all threads; Sys the system time in
	// it (page faults among it).
	CPU, Sys time.Duration
	// RSS is the resident memory now, Peak the most it ever was (VmHWM).
	RSS, Peak int64
	// Faults counts the minor page faults so far: memory the kernel had
	// to find (and zero) for the process.
	Faults int64
}

// clockTick is the unit of /proc/PID/stat's times: USER_HZ, 100 on Linux.
const clockTick = 10 * time.Millisecond

// Usage reads /proc/PID/stat and /proc/PID/status.
func (p *Process) Usage() (Usage, error) {
	return usageOf(p.cmd.Process.Pid)
}

func usageOf(pid int) (Usage, error) {
	var u Usage
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// The command name may hold spaces: the fields start after its ')'.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 13 {
		return u, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	faults, err3 := strconv.ParseInt(fields[7], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return u, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	u.CPU, u.Sys, u.Faults = time.Duration(utime+stime)*clockTick, time.Duration(stime)*clockTick, faults
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			u.RSS = kb << 10
		case "VmHWM":
			u.Peak = kb << 10
		}
	}
	return u, nil
}

// ResetPeak makes VmHWM start again from the resident memory now
// (writing 5 to /proc/PID/clear_refs), so that a scenario's peak is its
// own.
func (p *Process) ResetPeak() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
}
