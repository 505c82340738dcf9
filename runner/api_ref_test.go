package runner

import (
	"net/http"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// TestAPISyncRefNoNameHolds: a reference Postgres cannot hold as text (bytes that are not
// UTF-8, a NUL) names no sync: 404, as any unknown name, not a 503 that sends the operator to
// the control plane.
func TestAPISyncRefNoNameHolds(t *testing.T) {
	const token = "utf8-t0ken"
	t.Setenv(APITokenEnv, token)
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	base := serveAPI(t, f)
	for _, ref := range []string{"%ff%fe", "a%00b", "name:%c3", "%ff1"} {
		a := apiCall(t, http.MethodPost, base+"/v1/syncs/"+ref+"/runs", token, "")
		if a.code != http.StatusNotFound || !strings.Contains(a.body, "no sync has the") {
			t.Errorf("POST /v1/syncs/%s/runs: %d %s, want 404", ref, a.code, a.body)
		}
	}
}
