package runner

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// After the control plane restarts (here: every session of the test's database is terminated,
// as a restart ends them), /healthz answers 200 as soon as the server answers again: the pool's
// dead connections are not a failed health check.
func TestHealthzAfterControlPlaneRestart(t *testing.T) {
	t.Parallel()
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{NoConnections: true})
	h := Handler(w.Store, nil, nil)
	get := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1/healthz", nil))
		return rec.Code
	}
	if code := get(); code != http.StatusOK {
		t.Fatalf("/healthz = %d before the restart", code)
	}
	// Several idle connections in the pool, as a busy daemon has.
	var conns []*pgxpool.Conn
	for range 4 {
		c, err := w.Store.Pool().Acquire(w.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
	admin := controlplanetest.Pool(t, w.URL)
	if _, err := admin.Exec(w.Ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // connections idle for less than a second are not checked by the pool
	for i := range 3 {
		if code := get(); code != http.StatusOK {
			t.Errorf("/healthz #%d after the restart = %d, want 200 (the server answers)", i+1, code)
		}
	}
}
