//go:build unix

package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Freeze stops every process of the cluster with SIGSTOP, as a database
// host that hangs (or whose network is cut while connections stay open):
// connections are accepted by the kernel and never answered, and
// statements on open ones never end. Thaw resumes them.
func (c *Cluster) Freeze(t testing.TB) { t.Helper(); c.signal(t, syscall.SIGSTOP) }

// Thaw resumes the processes Freeze stopped.
func (c *Cluster) Thaw(t testing.TB) { t.Helper(); c.signal(t, syscall.SIGCONT) }

// signal sends sig to the cluster's postmaster (data/postmaster.pid) and
// to its children, by their process IDs.
func (c *Cluster) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(c.c.data, "postmaster.pid"))
	if err != nil {
		t.Fatalf("the cluster's postmaster: %v", err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("the cluster's postmaster.pid: %v", err)
	}
	children, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	pids := []int{pid}
	for _, f := range strings.Fields(string(children)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	for _, p := range pids {
		if err := syscall.Kill(p, sig); err != nil {
			t.Fatalf("signal %v to PostgreSQL's process %d: %v", sig, p, err)
		}
	}
}
