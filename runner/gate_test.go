package runner

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// Requests of the status page held by a lock (another session's LOCK TABLE) take at most
// HTTPControlPlaneConns of the daemon's pool: /healthz, and the daemon's runs, still get a
// connection. Unbounded, a dozen page loads took the whole pool, and /healthz answered 503
// "control plane unreachable" while the control plane answered. Once the lock goes, every
// request, those that waited for a slot too, is answered.
func TestStatusPageRequestsLeaveThePoolToTheDaemon(t *testing.T) {
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{MaxConns: HTTPControlPlaneConns + 1, NoConnections: true})
	base := serveStatus(t, w.Store)
	admin := controlplanetest.Pool(t, w.URL)
	tx, err := admin.Begin(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(w.Ctx) }()
	if _, err := tx.Exec(w.Ctx, `LOCK TABLE backflow.syncs, backflow.sync_runs IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	const pages = 12
	codes := make([]int, pages)
	var wg sync.WaitGroup
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(base + "/")
			if err != nil {
				codes[i] = -1
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	waiting := func() int {
		var n int
		if err := admin.QueryRow(w.Ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	controlplanetest.WaitFor(t, fmt.Sprintf("%d page requests waiting for the lock", HTTPControlPlaneConns), func() bool {
		return waiting() >= HTTPControlPlaneConns
	})
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz while %d page requests wait for a lock: %d %s, want 200: the control plane answers", pages, resp.StatusCode, body)
	}
	if n := waiting(); n > HTTPControlPlaneConns {
		t.Errorf("%d of the pool's connections wait for the lock, want at most %d", n, HTTPControlPlaneConns)
	}
	if err := tx.Rollback(w.Ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("page request %d: %d, want 200 once the lock is gone", i, c)
		}
	}
}
