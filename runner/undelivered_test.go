package runner

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

func restSpec() *controlplane.RequestSpec {
	return &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New:     &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: contactBody},
		Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/contacts/{{ record.email | url_encode }}", Body: contactBody}}
}

// methods are the methods of the requests the receiver accepted since the last take.
func methods(rest *restReceiver) []string {
	got, _ := rest.take()
	var out []string
	for _, g := range got {
		m, _, _ := strings.Cut(g, " ")
		out = append(out, m)
	}
	return out
}

// Records a failed run never got delivered (the endpoint answered every attempt with a refusal,
// or the run ended before sending them) stay new: the next run creates them (POST), instead of
// updating what the endpoint never had (PATCH, which a REST API answers 404).
func TestUndeliveredRecordsStayNew(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, restSpec())
	f.engine.MaxRetries = 1
	var down atomic.Bool
	down.Store(true)
	rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		if down.Load() {
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	run := f.run(controlplane.RunFailed, RunOptions{})
	if run.Counts.New != 3 || run.Counts.Delivered != 0 {
		t.Fatalf("failed run counts %+v: want 3 new, none delivered", run.Counts)
	}
	if n := f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1`, f.sync.ID); n != 0 {
		t.Errorf("%d intents left by a run whose every request was refused, want 0", n)
	}
	down.Store(false)
	run = f.run(controlplane.RunSucceeded, RunOptions{})
	if run.Counts.New != 3 || run.Counts.Changed != 0 || run.Counts.Delivered != 3 {
		t.Errorf("next run counts %+v: want 3 new, delivered", run.Counts)
	}
	if got := methods(rest); strings.Join(got, " ") != "POST POST POST" {
		t.Errorf("next run sent %v, want three POSTs (creates)", got)
	}
}

// A request the endpoint did not answer (a timeout) may have been taken: its keys stay
// unconfirmed and the next run resends them as changed (docs/runner.md, "What a run guarantees").
func TestUnansweredRecordsAreResent(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, restSpec())
	f.engine.MaxRetries = 0
	f.engine.Client = &http.Client{Timeout: 100 * time.Millisecond, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	var slow atomic.Bool
	slow.Store(true)
	rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		if slow.Load() {
			time.Sleep(300 * time.Millisecond) // past the client's timeout: no answer
			return true
		}
		return false
	})
	f.run(controlplane.RunFailed, RunOptions{})
	if n := f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1`, f.sync.ID); n == 0 {
		t.Errorf("no intent left by a run whose requests got no answer")
	}
	slow.Store(false)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if run.Counts.Delivered != 3 {
		t.Errorf("next run counts %+v: want 3 delivered", run.Counts)
	}
	if got := methods(rest); len(got) != 3 || got[0] != "PATCH" {
		t.Errorf("next run sent %v, want the unanswered keys resent as changed (PATCH)", got)
	}
}

// count runs a count query on the control plane.
func (f *fixture) count(sql string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.store.DB().QueryRow(f.ctx, sql, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}
