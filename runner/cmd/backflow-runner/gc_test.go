package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestApplyGCPercent: without GOGC the runner collects at defaultGCPercent; with GOGC set it
// leaves the runtime's setting alone.
func TestApplyGCPercent(t *testing.T) {
	t.Setenv("GOGC", "")
	if err := os.Unsetenv("GOGC"); err != nil {
		t.Fatal(err)
	}
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	applyGCPercent()
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("without GOGC: GC percent %d, want %d", got, defaultGCPercent)
	}
	t.Setenv("GOGC", "123")
	debug.SetGCPercent(123) // as the runtime would have read it at start
	applyGCPercent()
	if got := debug.SetGCPercent(100); got != 123 {
		t.Errorf("with GOGC=123: GC percent %d, want 123", got)
	}
}
