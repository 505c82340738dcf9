package runner

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// oauthServer is a token endpoint issuing tok-1, tok-2, ...; down makes it answer 500.
type oauthServer struct {
	*httptest.Server
	mu     sync.Mutex
	issued int
	down   bool
}

func newOAuthServer(t *testing.T) *oauthServer {
	s := &oauthServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if id, secret, _ := r.BasicAuth(); s.down || id != "runner" || secret != "cl1ent-s3cret" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		s.issued++
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("tok-%d", s.issued),
			"token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *oauthServer) state() (issued int, current string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued, fmt.Sprintf("Bearer tok-%d", s.issued)
}

// One token per connection and runner: several runs (and the test command) share it. A token
// endpoint that fails fails the run, names its host, and leaves the records pending.
func TestOAuth2Runs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	tokens := newOAuthServer(t)
	recv := webhooktest.New(t)
	recv.KeyName = "id"
	recv.Handle(func(r *webhooktest.Request, w http.ResponseWriter) bool {
		if _, current := tokens.state(); r.Header.Get("Authorization") != current {
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

	tokens.mu.Lock()
	tokens.down = true
	tokens.mu.Unlock()
	run := f.run(controlplane.RunFailed, RunOptions{})
	host := strings.TrimPrefix(tokens.URL, "http://")
	if !strings.Contains(run.Error, host) || strings.Contains(run.Error, "cl1ent-s3cret") {
		t.Errorf("run error %q should name the token endpoint %s and not the secret", run.Error, host)
	}
	if keys := f.ledgerKeys(); len(keys) != 0 {
		t.Fatalf("ledger %v after a failed token request, want empty: the records stay pending", keys)
	}

	tokens.mu.Lock()
	tokens.down = false
	tokens.mu.Unlock()
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := recv.Take("id"); len(got) != 5 {
		t.Fatalf("sent %v, want the 5 pending records", got)
	}
	f.exec(`UPDATE users SET name = 'Ada L.' WHERE id = 1`)
	f.run(controlplane.RunSucceeded, RunOptions{})
	if res, err := f.engine.Test(f.ctx, f.sync.ID); err != nil || res.Status != http.StatusOK {
		t.Fatalf("test request: %v, %+v; want 200 with the cached token", err, res)
	}
	if issued, _ := tokens.state(); issued != 1 {
		t.Errorf("%d tokens fetched for two runs and a test, want 1 (one per connection and runner)", issued)
	}
}
