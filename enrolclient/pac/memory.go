package pac

import (
	"errors"
	"runtime/metrics"
	"time"

	"github.com/dop251/goja"
)

// errMemory is the interruption of a script that took too much memory.
var errMemory = errors.New("too much memory")

// heapSample is the runtime's measure of the heap's objects, live or not
// yet swept: read without stopping the program, unlike runtime.MemStats.
const heapSample = "/memory/classes/heap/objects:bytes"

// memoryCheck is how often a running script's memory is looked at.
const memoryCheck = 10 * time.Millisecond

// watchMemory interrupts vm when the heap grows by more than limit bytes
// from now, and returns what stops watching. The heap is the program's:
// another goroutine's allocations count too, which in the app, idle while
// it enrols, are far below the limit.
func watchMemory(vm *goja.Runtime, limit uint64) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	sample := []metrics.Sample{{Name: heapSample}}
	metrics.Read(sample)
	start := sample[0].Value.Uint64()
	go func() {
		defer close(stopped)
		t := time.NewTicker(memoryCheck)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				metrics.Read(sample)
				if now := sample[0].Value.Uint64(); now > start && now-start > limit {
					vm.Interrupt(errMemory)
					return
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}
