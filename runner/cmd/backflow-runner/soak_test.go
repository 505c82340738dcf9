package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// newViewHook is a receiver whose View rebuilds what a receiving side holds: per key, `changed`
// sets the record and `deleted` removes it, in arrival order. Each request waits a little before
// its answer, so that kills land mid-request too.
func newViewHook(t *testing.T) *webhooktest.Receiver {
	h := webhooktest.New(t)
	h.Handle(func(*webhooktest.Request, http.ResponseWriter) bool {
		time.Sleep(time.Millisecond)
		return false
	})
	return h
}

// TestSIGKILLSoak kills `backflow-runner sync` at random points of 20 runs while the warehouse
// gets inserts, updates and deletes between them, then runs the sync to completion: the
// receiver's view, rebuilt in arrival order, must equal the warehouse exactly (mirror), or hold
// the current version of every warehouse key (update_or_create). A crash between a 2xx and the
// ledger commit must lose no delete: the next run adopts the batch's intent.
func TestSIGKILLSoak(t *testing.T) {
	for _, behavior := range []string{controlplane.BehaviorMirror, controlplane.BehaviorUpdateOrCreate} {
		t.Run(behavior, func(t *testing.T) {
			t.Parallel()
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 1))
			h := newViewHook(t)
			w := newWorld(t, 2000, h.URL, 25)
			w.sync.Behavior = behavior
			if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
				t.Fatal(err)
			}
			next := 2001
			kills := 0
			for i := 0; i < 24; i++ {
				if i > 0 {
					w.exec(`UPDATE users SET version = version + 1 WHERE random() < 0.05`)
					w.exec(`DELETE FROM users WHERE random() < 0.02`)
					w.exec(`INSERT INTO users SELECT i, 'user' || i || '@example.com', 'User ' || i
						FROM generate_series($1::int, $1::int + 19) AS i`, next)
					next += 20
				}
				c := w.cmd("sync", "Active users to webhook", "--concurrency", "3")
				c.Stdout, c.Stderr = io.Discard, io.Discard
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				if i%2 == 0 {
					// Anywhere from before the first request to after the end of the run.
					time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
				} else {
					// Right after a 2xx: most likely before the run recorded it.
					for n := 1 + rng.IntN(6); n > 0; n-- {
						select {
						case <-h.Answered():
						case <-time.After(5 * time.Second):
							n = 0
						}
					}
				}
				if c.Process.Kill() == nil {
					kills++
				}
				_ = c.Wait()
			}
			if kills < 20 {
				t.Fatalf("only %d of the runs were killed", kills)
			}
			code, stdout, stderr := w.runCmd("sync", "Active users to webhook")
			if code != 0 {
				t.Fatalf("clean sync: exit %d\n%s\n%s", code, stdout, stderr)
			}

			want := w.warehouseVersions()
			view := h.View()
			bad := 0
			for k, v := range want {
				got := view[k]
				if got == nil || got["version"] != v {
					if bad++; bad <= 10 {
						t.Errorf("key %s: the receiver holds %v, the warehouse version %v", k, got, v)
					}
				}
			}
			if behavior == controlplane.BehaviorMirror {
				for k := range view {
					if _, ok := want[k]; !ok {
						if bad++; bad <= 10 {
							t.Errorf("key %s: still at the receiver, gone from the warehouse", k)
						}
					}
				}
			}
			if bad > 0 {
				t.Fatalf("%d keys differ after %d kills (%d requests received)", bad, kills, h.Seen())
			}
			t.Logf("%d kills, %d requests, %d keys, all equal", kills, h.Seen(), len(want))
		})
	}
}

// warehouseVersions is each warehouse user's version by key, as the receiver's view holds them
// (JSON numbers).
func (w *world) warehouseVersions() map[string]float64 {
	w.t.Helper()
	rows, err := w.wh.Query(w.ctx, `SELECT unique_id, version FROM users`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	want := map[string]float64{}
	for rows.Next() {
		var id int64
		var v int
		if err := rows.Scan(&id, &v); err != nil {
			w.t.Fatal(err)
		}
		want[fmt.Sprint(id)] = float64(v)
	}
	if err := rows.Err(); err != nil {
		w.t.Fatal(err)
	}
	return want
}
