package runner

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// TestTestReadsOneRow: `test` reads one record, not the whole model sorted. The model divides by
// zero on its second row (in the table's order), so reading past the first row fails.
func TestTestReadsOneRow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.model.Table = ""
	f.model.SQL = "SELECT id, email, 1 / (id - 2) AS boom FROM users -- the model's own comment\n;"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	res, err := f.engine.Test(f.ctx, f.sync.ID)
	if err != nil {
		t.Fatalf("Test read past the first row: %v", err)
	}
	if res.Status != 200 || string(res.Record) != `{"id":1,"email":"ada@example.com","boom":-1}` {
		t.Errorf("Test = %d %s", res.Status, res.Record)
	}
	if got, _ := f.recv.Take("id"); !cmp.Equal(got, []string{"changed 1"}) {
		t.Errorf("test sent %v", got)
	}

	// A NULL key is skipped; a lost key column is named.
	f.model.SQL = "SELECT NULLIF(id, 1) AS id, email FROM users"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	if res, err := f.engine.Test(f.ctx, f.sync.ID); err != nil || strings.Contains(string(res.Record), `"id":null`) {
		t.Errorf("Test with a NULL first key = %v, %v", res, err)
	}
	f.model.SQL = "SELECT email FROM users"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Test(f.ctx, f.sync.ID); err == nil || !strings.Contains(err.Error(), `lost its key column`) {
		t.Errorf("Test without the key column: %v", err)
	}
}

// `test` (and the provider's test_on_save of a request, SendSample) reads the answer's body for
// at most a second after its headers, as a delivery does: an endpoint that sent a status and
// then dripped its body held the command until the client's 30 s timeout. The engine's client
// here has no timeout: without the bound, each waits for the body until the test's context ends
// (a minute, far above the second), and the test says it hung.
func TestTestGivesUpOnSlowAnswerBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	untimed := *webhook.DefaultClient()
	untimed.Timeout = 0
	f.engine.Client = &untimed
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) }) // before the receiver closes: it waits for its handlers
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte("invalid email"))
		w.(http.Flusher).Flush()
		<-stop
		return true
	})
	ctx, cancel := context.WithTimeout(f.ctx, time.Minute)
	defer cancel()
	res, err := f.engine.Test(ctx, f.sync.ID)
	if ctx.Err() != nil {
		t.Error("Test hung a minute on an answer's dripping body, which was not given up on")
	}
	if err != nil || res.Status != http.StatusUnprocessableEntity || res.Body != "invalid email" {
		t.Errorf("Test = %+v, %v; want the 422 with what came of its body", res, err)
	}
	f.model.Columns = []controlplane.Column{{Name: "id", Type: "int8"}, {Name: "email", Type: "text"}}
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(f.ctx, time.Minute)
	defer cancel()
	_, status, body, err := f.engine.sendSample(ctx, f.sync)
	if ctx.Err() != nil {
		t.Error("SendSample hung a minute on an answer's dripping body, which was not given up on")
	}
	if err != nil || status != http.StatusUnprocessableEntity || body != "invalid email" {
		t.Errorf("SendSample = %d %q, %v; want the 422 with what came of its body", status, body, err)
	}
}
