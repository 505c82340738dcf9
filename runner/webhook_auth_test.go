package runner

import (
	"net/http"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// One token per connection and runner: several runs (and the test command) share it. A token
// endpoint that fails fails the run, names its host, and leaves the records pending.
func TestOAuth2Runs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	tokens := webhooktest.NewTokenServer(t, "runner", "cl1ent-s3cret", 3600)
	recv := webhooktest.New(t)
	recv.KeyName = "id"
	recv.Handle(func(r *webhooktest.Request, w http.ResponseWriter) bool {
		if r.Header.Get("Authorization") != tokens.Current() {
			w.WriteHeader(http.StatusUnauthorized)
			return true
		}
		return false
	})
	f.dest.Webhook.URL = recv.URL + "/hook"
	f.dest.Webhook.OAuth2 = &controlplane.OAuth2Config{TokenURL: tokens.URL + "/token", ClientID: "runner",
		ClientSecret: "cl1ent-s3cret"}
	if err := f.store.UpdateConnection(f.ctx, f.dest); err != nil {
		t.Fatal(err)
	}

	tokens.SetFail(http.StatusInternalServerError)
	run := f.run(controlplane.RunFailed, RunOptions{})
	host := strings.TrimPrefix(tokens.URL, "http://")
	if !strings.Contains(run.Error, host) || strings.Contains(run.Error, "cl1ent-s3cret") {
		t.Errorf("run error %q should name the token endpoint %s and not the secret", run.Error, host)
	}
	if keys := f.ledgerKeys(); len(keys) != 0 {
		t.Fatalf("ledger %v after a failed token request, want empty: the records stay pending", keys)
	}

	tokens.SetFail(0)
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := recv.Take("id"); len(got) != 5 {
		t.Fatalf("sent %v, want the 5 pending records", got)
	}
	f.exec(`UPDATE users SET name = 'Ada L.' WHERE id = 1`)
	f.run(controlplane.RunSucceeded, RunOptions{})
	if res, err := f.engine.Test(f.ctx, f.sync.ID); err != nil || res.Status != http.StatusOK {
		t.Fatalf("test request: %v, %+v; want 200 with the cached token", err, res)
	}
	if issued := tokens.Issued(); issued != 1 {
		t.Errorf("%d tokens fetched for two runs and a test, want 1 (one per connection and runner)", issued)
	}
}
