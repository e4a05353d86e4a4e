package stress

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// TreeCPU is the CPU time (user plus system) of process pid and of all its
// children, the ended ones it waited for and the live ones, as /proc says:
// a PostgreSQL server's, whose postmaster starts a process for each
// connection, so that its share of a load can be set beside the
// softtoken-server's.
func TreeCPU(pid int) (time.Duration, error) {
	// Fields after the command name: 1 ppid, 11 utime, 12 stime, 13
	// cutime and 14 cstime (the children waited for).
	own, err := statFields(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	total := ticks(own, 11, 12, 13, 14)
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, stat := range stats {
		f, err := statFields(stat)
		if err != nil || f[1] != strconv.Itoa(pid) {
			continue // ended meanwhile, or not a child
		}
		total += ticks(f, 11, 12)
	}
	return total, nil
}

// statFields are the fields of a /proc/PID/stat after the command name
// (which may hold spaces).
func statFields(path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	if len(f) < 15 {
		return nil, fmt.Errorf("%s: too few fields", path)
	}
	return f, nil
}

// ticks is the sum of the clock-tick fields at idx, as a duration.
func ticks(f []string, idx ...int) time.Duration {
	var n int64
	for _, i := range idx {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		n += v
	}
	return time.Duration(n) * clockTick
}
