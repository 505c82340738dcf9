package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// BenchmarkRun measures whole runs over BACKFLOW_BENCH_ROWS (default 100000) users of 11
// columns, batch 1000, to a receiver that only drains bodies: the first run (all new), a run
// with nothing changed, and a run with 1% changed.
func BenchmarkRun(b *testing.B) {
	rows := 100000
	if v, err := strconv.Atoi(os.Getenv("BACKFLOW_BENCH_ROWS")); err == nil && v > 0 {
		rows = v
	}
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(srv.Close)
	w := controlplanetest.NewWorld(b, controlplanetest.WorldOpts{
		Users: fmt.Sprintf(`CREATE TABLE users AS SELECT 'u' || i AS unique_id, 'user' || i || '@example.com' AS email,
		'First' || i AS first_name, 'Last' || i AS last_name, i %% 90 AS age, (i %% 3 = 0) AS vip,
		now() - i * interval '1 minute' AS created_at, (now() - i * interval '1 minute')::timestamp AS updated_at,
		'Springfield' AS city, 'US' AS country, i * 1.5 AS score FROM generate_series(1, %d) AS i`, rows),
		HookURL: srv.URL,
		Model:   &controlplane.Model{Name: "users", Table: "users"},
		Sync:    &controlplane.Sync{Name: "bench", Behavior: controlplane.BehaviorMirror, PrimaryKey: "unique_id", BatchSize: 1000},
	})
	store, wh, y := w.Store, w.WarehouseDB, w.Sync
	e := &Engine{Store: store, Logger: slog.New(slog.DiscardHandler)}
	if v, err := strconv.Atoi(os.Getenv("BENCH_COMMIT_EVERY")); err == nil {
		e.CommitEvery = v
	}
	run := func(b *testing.B) {
		r, err := e.Run(ctx, y.ID, RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(r.Counts.Extracted)/r.Duration().Seconds(), "rows/s")
	}
	clearLedger := func(b *testing.B) {
		for _, table := range []string{"sync_ledger", "sync_ledger_pages"} {
			if _, err := store.Pool().Exec(ctx, `DELETE FROM backflow.`+table+` WHERE sync_id = $1`, y.ID); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			clearLedger(b)
			b.StartTimer()
			run(b)
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		for b.Loop() {
			run(b)
		}
	})
	b.Run("1pct", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			if _, err := wh.Exec(ctx, `UPDATE users SET score = score + 1 WHERE abs(hashtext(unique_id)) % 100 = $1`, i%100); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			run(b)
		}
	})
}
