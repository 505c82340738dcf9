package controlplanetest

import (
	"testing"
	"time"
)

// WaitFor polls cond every 20 ms until it holds, failing t after a generous deadline (a minute,
// a bound rather than a measure): the one wait of the tests that watch a daemon, a process or a
// receiver do something.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
