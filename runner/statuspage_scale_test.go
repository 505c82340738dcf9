package runner

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestStatusOverviewRoundTripsDoNotGrowWithSyncs: the overview (/) read each sync's recent runs
// with a query of its own, one round trip to the control plane per sync. Since the page answers
// 503 once the control plane has not answered within controlPlaneWait (15 s), a control plane a
// few milliseconds away (another region) turned a slow page into none: 2000 syncs at 7 ms a round
// trip are 15 s. Found by loading / over 2000 syncs: 2001 queries, 1.4 s on a local control plane.
// It reads every sync's runs in one query now, however many syncs there are.
func TestStatusOverviewRoundTripsDoNotGrowWithSyncs(t *testing.T) {
	const syncs = 200
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	pool := controlplanetest.Pool(t, f.cpURL)
	if _, err := pool.Exec(f.ctx, `INSERT INTO backflow.syncs (name, model_id, destination_id, behavior, primary_key, schedule_every, batch_size)
		SELECT 'bulk-' || g, model_id, destination_id, behavior, primary_key, '15m', batch_size
		FROM backflow.syncs, generate_series(2, $2::int) g WHERE id = $1`, f.sync.ID, syncs); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(f.ctx, `INSERT INTO backflow.sync_runs (sync_id, status, trigger, started_at, finished_at)
		SELECT s.id, 'succeeded', 'schedule', now() - g * interval '15 minutes', now() - g * interval '14 minutes'
		FROM backflow.syncs s, generate_series(1, 3) g`); err != nil {
		t.Fatal(err)
	}
	proxy, proxied := controlplanetest.NewStallProxy(t, f.cpURL)
	sealer, err := controlplane.ParseKey(f.key)
	if err != nil {
		t.Fatal(err)
	}
	store, err := controlplane.Open(f.ctx, proxied, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	h := Handler(store, nil, nil)
	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1/", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET / = %d, want 200:\n%s", rec.Code, rec.Body)
		}
		return rec
	}
	get() // the pool's connections made, its statements prepared
	before := proxy.Trips()
	get()
	if trips := proxy.Trips() - before; trips >= syncs {
		t.Errorf("GET / over %d syncs made %d round trips to the control plane: one (or more) per sync", syncs, trips)
	}
}
