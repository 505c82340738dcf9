package runner

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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

// A request's slot of the gate goes back once it starts answering: a client that reads its
// answer slowly, or not at all (the server has no write timeout), does not hold the control
// plane's slot while its answer waits to be written, and the next request is served.
func TestGateSlotFreedOnceAnswering(t *testing.T) {
	gate := make(controlPlaneGate, 1)
	old := controlPlaneWait
	controlPlaneWait = 200 * time.Millisecond
	t.Cleanup(func() { controlPlaneWait = old })
	answering, unblock := make(chan struct{}), make(chan struct{})
	busy := func(w http.ResponseWriter, msg string) { http.Error(w, msg, http.StatusServiceUnavailable) }
	slow := boundedByControlPlane(gate, busy, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		close(answering)
		<-unblock // as a Write to a client that does not read
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		slow(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}()
	<-answering
	rec := httptest.NewRecorder()
	boundedByControlPlane(gate, busy, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	close(unblock)
	<-done
	if rec.Code != http.StatusOK {
		t.Errorf("a request while another's answer waits to be written: %d %s, want 200", rec.Code, rec.Body)
	}
	if len(gate) != 0 {
		t.Errorf("%d slots still held after both requests", len(gate))
	}
}

// A request's slot of the gate is taken once its body has come: a client that sends a run
// request's body slowly, or stops halfway (the server reads it for up to its ReadTimeout), does
// not hold the control plane's slot meanwhile. Held, four such POSTs turned the status page and
// the API into 503 "busy: ... reading the control plane (a lock held by another session?)" for
// as long, with a control plane that answered. The handler reads the body as it came.
func TestGateSlotTakenOnceTheBodyHasCome(t *testing.T) {
	gate := make(controlPlaneGate, 1)
	old := controlPlaneWait
	controlPlaneWait = 200 * time.Millisecond
	t.Cleanup(func() { controlPlaneWait = old })
	busy := func(w http.ResponseWriter, msg string) { http.Error(w, msg, http.StatusServiceUnavailable) }
	echo := boundedByControlPlane(gate, busy, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = w.Write(b)
	})
	pr, pw := io.Pipe()
	slowRec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		echo(slowRec, httptest.NewRequest(http.MethodPost, "/", pr))
	}()
	if _, err := pw.Write([]byte(`{"full"`)); err != nil { // half the body, then nothing for now
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	echo(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"full":true}`)))
	if rec.Code != http.StatusOK || rec.Body.String() != `{"full":true}` {
		t.Errorf("a request while another's body is on its way: %d %s, want 200 {\"full\":true}", rec.Code, rec.Body)
	}
	_, _ = pw.Write([]byte(`:false}`))
	_ = pw.Close()
	<-done
	if slowRec.Code != http.StatusOK || slowRec.Body.String() != `{"full":false}` {
		t.Errorf("the slow request: %d %s, want 200 and its whole body", slowRec.Code, slowRec.Body)
	}
	// A body that ends in an error is handed on with it; one longer than a run request's bound
	// is handed on whole.
	pr, pw = io.Pipe()
	go func() {
		_, _ = pw.Write([]byte("abc"))
		_ = pw.CloseWithError(errors.New("connection reset"))
	}()
	rec = httptest.NewRecorder()
	echo(rec, httptest.NewRequest(http.MethodPost, "/", pr))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "connection reset") {
		t.Errorf("a body ending in an error: %d %s, want the error", rec.Code, rec.Body)
	}
	long := strings.Repeat("x", 3*maxRunRequestBody)
	rec = httptest.NewRecorder()
	echo(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(long)))
	if rec.Code != http.StatusOK || rec.Body.String() != long {
		t.Errorf("a long body: %d, %d bytes, want 200 and its %d bytes", rec.Code, rec.Body.Len(), len(long))
	}
	if len(gate) != 0 {
		t.Errorf("%d slots still held after the requests", len(gate))
	}
}
