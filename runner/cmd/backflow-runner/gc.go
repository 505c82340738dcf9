package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is the runner's garbage-collection target (GOGC) unless the environment sets
// GOGC. Most of what a run holds is byte buffers the collector does not scan (the sort's, the
// batches'), so collecting at half the live heap instead of all of it costs little, and the
// process touches less new memory, which is what costs most on some VMs: a first run of 1M rows
// used 6% less CPU and peaked at 120 MB instead of 143 (docs/performance.md).
const defaultGCPercent = 50

// applyGCPercent sets defaultGCPercent unless GOGC is set (then the runtime has applied it).
func applyGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
