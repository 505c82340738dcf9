package runner

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// TestRandomFaultsIntegerCursor: TestRandomFaultsCursorMirror with an integer cursor, which has no
// lookback (its timestamps, all within a minute of each other, are each read by every run of a 5m
// lookback): every run reads from the mark itself, so a mark that moved past a record the endpoint
// did not take would leave it unsent. Rows change with ties (several in a round at the same value)
// under random faults (applied and answer lost, applied and 504, 503, 422). Once the faults stop,
// incremental runs leave the receiver with every key's current version but those refused again
// by a retry (docs/runner.md: they wait for the next full read), and a full read with exactly
// the warehouse.
func TestRandomFaultsIntegerCursor(t *testing.T) {
	for seed := int64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rnd, faults := rand.New(rand.NewPCG(uint64(seed), 11)), rand.New(rand.NewPCG(uint64(seed), 12))
			f := newFixture(t, controlplane.BehaviorMirror, nil)
			f.exec(`ALTER TABLE users ADD seq bigint; UPDATE users SET seq = id`)
			f.describeModel()
			f.useCursor("seq")
			f.engine.MaxRetries, f.engine.Concurrency = 1, 1+int(seed%2)
			f.sync.BatchSize = 1 + int(seed%3)
			if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			have := map[string]string{}
			faulty := true
			refused := map[string]int{}
			f.recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
				mu.Lock()
				defer mu.Unlock()
				fault := 0
				if faulty {
					fault = faults.IntN(8)
				}
				switch fault {
				case 4:
					w.WriteHeader(http.StatusServiceUnavailable)
					return true
				case 5:
					for _, d := range q.Envelope.Data {
						var m map[string]any
						_ = json.Unmarshal(d, &m)
						refused[fmt.Sprint(m["id"])]++
					}
					w.WriteHeader(http.StatusUnprocessableEntity)
					return true
				}
				for _, d := range q.Envelope.Data {
					var m map[string]any
					_ = json.Unmarshal(d, &m)
					k := fmt.Sprint(m["id"])
					if q.Envelope.Operation == "deleted" {
						delete(have, k)
					} else {
						have[k] = fmt.Sprint(m["name"])
					}
				}
				switch fault {
				case 6:
					if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
						_ = conn.Close()
					}
				case 7:
					w.WriteHeader(http.StatusGatewayTimeout)
				default:
					w.WriteHeader(http.StatusOK)
				}
				return true
			})
			clock := 100
			for range 30 {
				if rnd.IntN(2) == 0 {
					clock++
				}
				for range 1 + rnd.IntN(3) {
					k := 1 + rnd.IntN(24)
					name := fmt.Sprintf("n%d", rnd.IntN(4))
					switch rnd.IntN(3) {
					case 0:
						f.exec(`INSERT INTO users (id, name, seq) VALUES ($1, $2, $3)
							ON CONFLICT (id) DO UPDATE SET name = excluded.name, seq = excluded.seq`, k, name, clock)
					case 1:
						f.exec(`UPDATE users SET name = $2, seq = $3 WHERE id = $1`, k, name, clock)
					case 2:
						f.exec(`DELETE FROM users WHERE id = $1`, k)
					}
				}
				_, _ = f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
			}
			mu.Lock()
			faulty = false
			mu.Unlock()
			for range 2 {
				if _, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{}); err != nil {
					t.Fatalf("a run without faults: %v", err)
				}
			}
			want := map[string]string{}
			rows, err := f.wh.Query(f.ctx, `SELECT id, coalesce(name, '<nil>') FROM users`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				var name string
				_ = rows.Scan(&id, &name)
				want[fmt.Sprint(id)] = name
			}
			rows.Close()
			mu.Lock()
			for k, v := range want {
				if have[k] != v {
					if refused[k] < 2 {
						t.Errorf("after incremental runs the receiver holds %s as %q, the warehouse as %q (refused %d times)", k, have[k], v, refused[k])
					}
				}
			}
			mu.Unlock()
			expireFullRead(t, f.store, f.sync.ID)
			if _, err := f.runPastGuard(RunOptions{}); err != nil {
				t.Fatalf("the full read: %v", err)
			}
			mu.Lock()
			got := maps.Clone(have)
			mu.Unlock()
			if !cmp.Equal(got, want) {
				t.Errorf("after a full read the receiver holds %v, the warehouse %v (-want +got)\n%s", got, want, cmp.Diff(want, got))
			}
			noneRejected(t, f, "after the runs without faults")
		})
	}
}
