package runner

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// tokenSources keeps one OAuth2 token source per webhook connection for a whole process: every
// run, test and notification to a connection shares its cached token and its refreshes. A
// connection whose grant changed (another client, secret, scope or token URL) gets a new source.
// The zero value is ready to use.
type tokenSources struct {
	mu sync.Mutex
	m  map[int64]*tokenSourceEntry
}

type tokenSourceEntry struct {
	grant string // the grant the source was made for, as JSON
	ts    *webhook.TokenSource
}

// get returns the connection's token source; nil when it has no OAuth2 grant. client fetches the
// tokens (nil: the webhook package's default, checked by the network policy).
func (s *tokenSources) get(c *controlplane.Connection, client *http.Client) *webhook.TokenSource {
	o := c.Webhook.OAuth2
	if o == nil {
		return nil
	}
	grant, _ := json.Marshal(o) // plain strings, slices and maps: always marshal
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[c.ID]; e != nil && e.grant == string(grant) {
		return e.ts
	}
	if s.m == nil {
		s.m = make(map[int64]*tokenSourceEntry)
	}
	ts := webhook.NewTokenSource(o, client)
	s.m[c.ID] = &tokenSourceEntry{grant: string(grant), ts: ts}
	return ts
}

// endpoint is where and how a webhook connection is sent to: for runs, tests and notifications
// alike.
func endpoint(c *controlplane.Connection, tokens *tokenSources, client *http.Client) webhook.Endpoint {
	return webhook.EndpointFor(c.Webhook, tokens.get(c, client))
}
