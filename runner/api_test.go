package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// serveAPI serves Handler with a run queue, as `run --listen` does, for the test's lifetime.
func serveAPI(t *testing.T, f *fixture) string {
	t.Helper()
	queue, err := NewRunQueue(f.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(f.store, nil, queue), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return "http://" + ln.Addr().String()
}

type apiAnswer struct {
	code int
	body string
	hdr  http.Header
}

func apiCall(t *testing.T, method, u, token, body string) apiAnswer {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiAnswer{code: resp.StatusCode, body: string(b), hdr: resp.Header}
}

// TestAPIOffWithoutToken: with BACKFLOW_API_TOKEN unset the API is not served at all.
func TestAPIOffWithoutToken(t *testing.T) {
	t.Setenv(APITokenEnv, "")
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	base := serveAPI(t, f)
	if a := apiCall(t, http.MethodPost, base+"/v1/syncs/"+strconv.FormatInt(f.sync.ID, 10)+"/runs", "", ""); a.code != http.StatusNotFound {
		t.Errorf("POST without a token set: %d %s, want 404 (the API is off)", a.code, a.body)
	}
	var n int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT count(*) FROM backflow.river_job`).Scan(&n); err != nil || n != 0 {
		t.Errorf("jobs queued: %d (%v), want 0", n, err)
	}
}

// TestAPIQueuesRuns: the token is required (401 with nothing more said, without it or with a
// wrong one), an unknown sync is 404 and a paused one 409, both with a JSON error; a queued run
// is answered 202, and GET follows it from queued to the run a daemon made of it.
func TestAPIQueuesRuns(t *testing.T) {
	const token = "tr1gger-t0ken"
	t.Setenv(APITokenEnv, token)
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	paused := f.world.NewSync(controlplane.Sync{Name: "paused one", BatchSize: 10, Paused: true})
	base := serveAPI(t, f)
	byName := base + "/v1/syncs/" + url.PathEscape(f.sync.Name) + "/runs"

	for _, tc := range []struct{ name, token string }{{"no token", ""}, {"wrong token", "nope"}, {"token prefix", token[:4]}} {
		a := apiCall(t, http.MethodPost, byName, tc.token, "")
		if a.code != http.StatusUnauthorized || a.body != `{"error":"unauthorized"}`+"\n" ||
			a.hdr.Get("WWW-Authenticate") != `Bearer realm="backflow"` {
			t.Errorf("%s: %d %q, want 401 {\"error\":\"unauthorized\"}", tc.name, a.code, a.body)
		}
	}
	if a := apiCall(t, http.MethodGet, base+"/v1/runs/1", "", ""); a.code != http.StatusUnauthorized {
		t.Errorf("GET a run without the token: %d", a.code)
	}
	if a := apiCall(t, http.MethodPost, base+"/v1/syncs/no%20such%20sync/runs", token, ""); a.code != http.StatusNotFound ||
		a.body != `{"error":"no sync has the id or name \"no such sync\""}`+"\n" {
		t.Errorf("unknown sync: %d %s", a.code, a.body)
	}
	if a := apiCall(t, http.MethodPost, base+"/v1/syncs/"+strconv.FormatInt(paused.ID, 10)+"/runs", token, ""); a.code != http.StatusConflict ||
		!strings.Contains(a.body, `paused`) || !strings.Contains(a.body, "set paused = false") {
		t.Errorf("paused sync: %d %s", a.code, a.body)
	}
	if a := apiCall(t, http.MethodPost, byName, token, `{"fulll": true}`); a.code != http.StatusBadRequest || !strings.Contains(a.body, "fulll") {
		t.Errorf("bad body: %d %s", a.code, a.body)
	}
	// A second value after the object is refused too, not ignored (nothing is queued by it).
	if a := apiCall(t, http.MethodPost, byName, token, `{"full":true}{"x":1}`); a.code != http.StatusBadRequest || !strings.Contains(a.body, "more than one JSON value") {
		t.Errorf("trailing value: %d %s", a.code, a.body)
	}
	if a := apiCall(t, http.MethodGet, base+"/v1/runs/987654", token, ""); a.code != http.StatusNotFound ||
		a.body != `{"error":"no queued run has the id 987654"}`+"\n" {
		t.Errorf("unknown run: %d %s", a.code, a.body)
	}

	a := apiCall(t, http.MethodPost, byName, token, `{"full": true}`)
	var q QueuedRunJSON
	if err := json.Unmarshal([]byte(a.body), &q); err != nil || a.code != http.StatusAccepted {
		t.Fatalf("POST: %d %s (%v)", a.code, a.body, err)
	}
	if q.Status != QueuedStatusQueued || q.SyncID != f.sync.ID || q.Sync != f.sync.Name || !q.Full || q.Run != nil ||
		a.hdr.Get("Location") != q.URL || q.URL != "/v1/runs/"+strconv.FormatInt(q.ID, 10) {
		t.Errorf("POST answered %+v, Location %q", q, a.hdr.Get("Location"))
	}
	get := func() QueuedRunJSON {
		t.Helper()
		a := apiCall(t, http.MethodGet, base+q.URL, token, "")
		var got QueuedRunJSON
		if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.code != http.StatusOK {
			t.Fatalf("GET %s: %d %s (%v)", q.URL, a.code, a.body, err)
		}
		return got
	}
	if got := get(); got.Status != QueuedStatusQueued {
		t.Errorf("before any daemon: status %q, want queued", got.Status)
	}

	d := &Daemon{Engine: f.engine, PollInterval: time.Minute, StopTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancel(f.ctx)
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	var got QueuedRunJSON
	controlplanetest.WaitFor(t, "the queued run to end", func() bool {
		got = get()
		return got.Status != QueuedStatusQueued && got.Status != controlplane.RunRunning
	})
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("daemon: %v", err)
	}
	if got.Status != controlplane.RunSucceeded || got.Run == nil || got.Run.Trigger != controlplane.TriggerFull ||
		got.Run.Counts.Delivered != 5 {
		t.Fatalf("after the daemon: %+v (run %+v), want a succeeded full run that delivered the 5 users", got, got.Run)
	}
	run, err := f.store.GetRun(f.ctx, got.Run.ID)
	if err != nil || run.JobID != q.ID {
		t.Errorf("the run record's job: %+v (%v), want job %d", run, err, q.ID)
	}
}

// TestQueuedRunSkippedWhenPaused: a run queued before its sync was paused is not run; its status
// says skipped, and why.
func TestQueuedRunSkippedWhenPaused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	queue, q := f.enqueue(false)
	f.sync.Paused = true
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	if _, err := queue.Enqueue(f.ctx, f.sync, false); !errors.Is(err, ErrPaused) {
		t.Errorf("queueing a run of a paused sync: %v, want ErrPaused", err)
	}
	got := f.workQueued(queue, q)
	if got.Status != QueuedStatusSkipped || !strings.Contains(got.Error, "sync is paused") || got.Run != nil {
		t.Errorf("queued run of a sync paused since: %+v, want skipped because it is paused", got)
	}
	if runs, _ := f.store.ListRuns(f.ctx, f.sync.ID, 5); len(runs) != 0 {
		t.Errorf("the paused sync ran: %+v", runs)
	}
}

// TestAPISyncRefRules: the API names a sync as the CLI and terraform import do. A path that is
// all digits and both the id of one sync and the name of another is refused (400, saying how to
// pick each) rather than queueing a run of the sync with that id; id:N and name:TEXT pick one;
// id: followed by something else is a 400 too.
func TestAPISyncRefRules(t *testing.T) {
	const token = "r3f-t0ken"
	t.Setenv(APITokenEnv, token)
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	id := strconv.FormatInt(f.sync.ID, 10)
	other := f.world.NewSync(controlplane.Sync{Name: id, BatchSize: 10})
	base := serveAPI(t, f)
	post := func(ref string) apiAnswer {
		t.Helper()
		return apiCall(t, http.MethodPost, base+"/v1/syncs/"+url.PathEscape(ref)+"/runs", token, "")
	}
	want := fmt.Sprintf(`%q is both the id of the sync %q and the name of the sync with id %d: say which, with id:%s or name:%s`,
		id, f.sync.Name, other.ID, id, id)
	if a := post(id); a.code != http.StatusBadRequest || !strings.Contains(a.body, strings.ReplaceAll(want, `"`, `\"`)) {
		t.Errorf("POST %s: %d %s, want 400 with %s", id, a.code, a.body, want)
	}
	if a := post("id:x"); a.code != http.StatusBadRequest || !strings.Contains(a.body, "a sync's id") {
		t.Errorf("POST id:x: %d %s, want 400", a.code, a.body)
	}
	if a := post("id:987654"); a.code != http.StatusNotFound || a.body != `{"error":"no sync has the id 987654"}`+"\n" {
		t.Errorf("POST id:987654: %d %s, want 404", a.code, a.body)
	}
	for ref, wantID := range map[string]int64{"id:" + id: f.sync.ID, "name:" + id: other.ID} {
		a := post(ref)
		var q QueuedRunJSON
		if err := json.Unmarshal([]byte(a.body), &q); err != nil || a.code != http.StatusAccepted || q.SyncID != wantID {
			t.Errorf("POST %s: %d %s (%v), want a run of sync %d queued", ref, a.code, a.body, err, wantID)
		}
	}
	var n int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT count(*) FROM backflow.river_job`).Scan(&n); err != nil || n != 2 {
		t.Errorf("jobs queued: %d (%v), want the 2 of id: and name:", n, err)
	}
}

// A job done with a canceled run (a daemon of a release before 5 Dec 2026 completed the job of a
// run whose sync another runner took over; since then the job is handed back and run again:
// TestQueuedRunTakenOverIsRunAgain) answers the record's status, done: GET /v1/runs/{id} and
// `trigger --wait` say canceled rather than wait for a run that will not come.
func TestQueuedJobDoneWithACanceledRun(t *testing.T) {
	t.Parallel()
	job := &rivertype.JobRow{ID: 42, State: rivertype.JobStateCompleted, EncodedArgs: []byte(`{"sync_id":7}`)}
	run := &controlplane.Run{ID: 3, SyncID: 7, SyncName: "users", Status: controlplane.RunCanceled,
		Error: "the run was taken over by another runner"}
	q, err := queuedFromJob(context.Background(), nil, job, run)
	if err != nil {
		t.Fatal(err)
	}
	if q.Status != controlplane.RunCanceled || !q.Done() || q.Error != run.Error || q.SyncName != "users" {
		t.Errorf("queued run %+v, want canceled, done, with the run's error", q)
	}
}
