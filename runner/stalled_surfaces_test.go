package runner

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestSurfacesAnswerWhenControlPlaneStalls: with a control plane that stops answering (a hung
// server, a network that drops packets; not one that refuses connections, which fails at once),
// the API and the status page answer 503, as /healthz does, rather than never: a CI step calling
// the API without a timeout of its own waited for ever. Found by stalling a TCP proxy between a
// daemon and its control plane: POST /v1/syncs/1/runs, GET /v1/runs/1, / and /syncs/1 had not
// answered after 40 s, while /healthz answered 503 after 5 s.
func TestSurfacesAnswerWhenControlPlaneStalls(t *testing.T) {
	const token = "stalled-token"
	t.Setenv(APITokenEnv, token)
	old := controlPlaneWait
	controlPlaneWait = 200 * time.Millisecond
	t.Cleanup(func() { controlPlaneWait = old })
	_, dbURL, key := controlplanetest.NewStore(t)
	proxy, proxied := controlplanetest.NewStallProxy(t, dbURL)
	sealer, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	store, err := controlplane.Open(context.Background(), proxied, sealer)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the proxy's connections close before the pool's.
	t.Cleanup(store.Close)
	t.Cleanup(proxy.Close)
	queue, err := NewRunQueue(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := Handler(store, nil, queue)
	proxy.Stall()
	for _, req := range []struct{ method, path string }{
		{"POST", "/v1/syncs/1/runs"}, {"GET", "/v1/runs/1"}, {"GET", "/"}, {"GET", "/syncs/1"},
	} {
		r := httptest.NewRequest(req.method, "http://127.0.0.1"+req.path, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		served := make(chan struct{})
		go func() {
			defer close(served)
			h.ServeHTTP(rec, r)
		}()
		select {
		case <-served:
		case <-time.After(time.Minute): // a bound, not an assertion: without a deadline it never answers
			t.Fatalf("%s %s on a control plane that stopped answering: no answer a minute on", req.method, req.path)
		}
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s %s on a control plane that stopped answering = %d %s, want 503", req.method, req.path, rec.Code,
				strings.TrimSpace(rec.Body.String()))
		}
	}
}

// TestAPIQueueSaysItCannotTellWhenTheCommitsAnswerIsLost: POST /v1/syncs/{sync}/runs whose
// connection to the control plane dropped once the insert's commit had left (a failover, a
// network that fails) answered "the control plane did not take it", though the run was queued:
// a client trusting it retried, and queued a second run. Only a deadline said "cannot tell". Found
// by cutting a proxy's connection just after the commit passed: the job was in the queue. It
// says "cannot tell" for every failure not known to have come before the insert or been answered.
func TestAPIQueueSaysItCannotTellWhenTheCommitsAnswerIsLost(t *testing.T) {
	const token = "cut-token"
	t.Setenv(APITokenEnv, token)
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	proxy, proxied := controlplanetest.NewStallProxy(t, f.cpURL)
	sealer, err := controlplane.ParseKey(f.key)
	if err != nil {
		t.Fatal(err)
	}
	store, err := controlplane.Open(f.ctx, proxied, sealer)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the proxy's connections close before the pool's (whose cut one
	// otherwise holds its Close 15 s).
	t.Cleanup(store.Close)
	t.Cleanup(proxy.Close)
	queue, err := NewRunQueue(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	proxy.CutAfterSending("commit")
	r := httptest.NewRequest("POST", fmt.Sprintf("http://127.0.0.1/v1/syncs/%d/runs", f.sync.ID), nil)
	r.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	Handler(store, nil, queue).ServeHTTP(rec, r)
	// The server runs the commit it was sent while the handler, its connection cut, answers: on a
	// busy machine the answer comes first. Wait for the commit (a bound, not an assertion).
	var queued int
	pool := controlplanetest.Pool(t, f.cpURL)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := pool.QueryRow(f.ctx, `SELECT count(*) FROM backflow.river_job WHERE kind = $1`,
			(TriggerArgs{}).Kind()).Scan(&queued); err != nil {
			t.Fatal(err)
		}
		if queued != 0 || time.Now().After(deadline) {
			break
		}
	}
	if queued != 1 {
		t.Fatalf("the commit cut after it left: %d runs queued, want 1 (the proxy did not cut where meant); answer %d %s", queued,
			rec.Code, rec.Body)
	}
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "cannot tell whether the run was queued") {
		t.Errorf("POST whose commit was taken, its answer lost = %d %s, want 503 saying it cannot tell whether the run was queued",
			rec.Code, strings.TrimSpace(rec.Body.String()))
	}
}
