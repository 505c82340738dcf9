package main

import (
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A first run of an update_or_create sync stopped mid-run by SIGKILL or SIGTERM, the records the
// endpoint took then half deleted from the warehouse, then run to success: the receiver holds the
// current version of every warehouse key. Then the sync is made a mirror, and the mirror's run
// leaves the receiver exactly the warehouse: the stopped run's intents, adopted into the ledger by
// the next run, say which keys it may have delivered. (A first run without intents, tried and
// reverted, failed this: "after the mirror's run: 139 keys differ".)
func TestStoppedFirstRunThenMirror(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sig     syscall.Signal
		answers int // answers the endpoint gives before the signal
	}{
		{"SIGKILL after 1 answer", syscall.SIGKILL, 1},
		{"SIGKILL after 7 answers", syscall.SIGKILL, 7},
		{"SIGTERM after 3 answers", syscall.SIGTERM, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newViewHook(t)
			w := newWorld(t, 1000, h.URL, 25)
			w.sync.Behavior = controlplane.BehaviorUpdateOrCreate
			if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
				t.Fatal(err)
			}
			c := w.cmd("sync", "Active users to webhook", "--concurrency", "3")
			c.Stdout, c.Stderr = io.Discard, io.Discard
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			for n := tc.answers; n > 0; n-- {
				select {
				case <-h.Answered():
				case <-time.After(time.Minute):
					t.Fatal("no answer from the endpoint: hung a minute")
				}
			}
			if err := c.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			_ = c.Wait()
			taken := h.View()
			if len(taken) == 0 || len(taken) == 1000 {
				t.Fatalf("the stopped run delivered %d records; want some, not all", len(taken))
			}
			// The warehouse loses half of what the stopped run sent, and a few others.
			for k := range taken {
				var id int64
				fmt.Sscan(k, &id)
				if id%2 == 0 {
					w.exec(`DELETE FROM users WHERE unique_id = $1`, id)
				}
			}
			w.exec(`DELETE FROM users WHERE unique_id % 97 = 0`)
			w.exec(`UPDATE users SET version = version + 1 WHERE unique_id % 5 = 0`)
			if code, stdout, stderr := w.runCmd("sync", "Active users to webhook"); code != 0 {
				t.Fatalf("sync: exit %d\n%s\n%s", code, stdout, stderr)
			}
			want := w.warehouseVersions()
			compare := func(when string, exact bool) {
				t.Helper()
				view, bad := h.View(), 0
				for k, v := range want {
					if got := view[k]; got == nil || got["version"] != v {
						if bad++; bad <= 10 {
							t.Errorf("%s: key %s: the receiver holds %v, the warehouse version %v", when, k, got, v)
						}
					}
				}
				for k := range view {
					if _, ok := want[k]; !ok && exact {
						if bad++; bad <= 10 {
							t.Errorf("%s: key %s: still at the receiver, gone from the warehouse", when, k)
						}
					}
				}
				if bad > 0 {
					t.Fatalf("%s: %d keys differ", when, bad)
				}
			}
			compare("after the update_or_create run", false)

			mirror := *w.sync
			mirror.Behavior = controlplane.BehaviorMirror
			if err := w.store.UpdateSync(w.ctx, &mirror); err != nil {
				t.Fatal(err)
			}
			// A few of the 1000 keys deleted: within the mirror's default guard.
			if code, stdout, stderr := w.runCmd("sync", "Active users to webhook"); code != 0 {
				t.Fatalf("mirror sync: exit %d\n%s\n%s", code, stdout, stderr)
			}
			compare("after the mirror's run", true)
		})
	}
}
