package runner

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// TestAPIRunRequestBody: POST's body is empty or {"full": true|false}. What else it holds is
// refused with a 400 that says what, in words (not Go's types), and nothing is queued: "full"
// twice too, which a proxy or a log reading the first would take for another run than the one
// queued. Its valid neighbours are queued as they say.
func TestAPIRunRequestBody(t *testing.T) {
	const token = "b0dy-t0ken"
	t.Setenv(APITokenEnv, token)
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	base := serveAPI(t, f)
	u := base + "/v1/syncs/" + url.PathEscape(f.sync.Name) + "/runs"
	for body, want := range map[string]string{
		`{"full":true,"full":false}`: `it holds \"full\" more than once`,
		`{"full":true,"FULL":true}`:  `it holds \"full\" more than once`,
		`[[[[]]]]`:                   `it is an array, not an object`,
		`{"full":"yes"}`:             `\"full\" is a string, not true or false`,
		`{"full":1}`:                 `\"full\" is a number, not true or false`,
		`{"full":{"full":true}}`:     `\"full\" is an object, not true or false`,
		`{"full":true,"x":1}`:        `unknown member \"x\": the only one is \"full\"`,
		`"full"`:                     `it is a string, not an object`,
		`{"full":true`:               `it ends before the object does`,
		`full=true`:                  `it is not JSON`,
		`{"full":true}{"x":1}`:       `it holds more than one JSON value`,
		`{"full":true} true`:         `it holds more than one JSON value`,
		// Not a second value: bytes that are not JSON after the object, or text not in UTF-8.
		`{"full":true}}`:              `what follows its value is not JSON`,
		"{\"full\":true}\u00a0":       `what follows its value is not JSON`,
		"\xff\xfe{\x00}\x00":          `it is not UTF-8 text`,
		"{\"full\":true}\xef\xbb\xbf": `what follows its value is not JSON`,
	} {
		a := apiCall(t, http.MethodPost, u, token, body)
		if a.code != http.StatusBadRequest || !strings.Contains(a.body, want) || strings.Contains(a.body, "Go ") ||
			strings.Contains(a.body, "struct") {
			t.Errorf("body %s: %d %s, want 400 saying %s", body, a.code, a.body, want)
		}
	}
	// The request's parameters are its body's: a query asking for a full run (?full=true) was
	// ignored, and a run that was not full queued.
	for _, q := range []string{"?full=true", "?full", "?FULL=1&x=y", "?full=false"} {
		a := apiCall(t, http.MethodPost, u+q, token, "")
		if a.code != http.StatusBadRequest || !strings.Contains(a.body, `takes no query`) {
			t.Errorf("POST %s: %d %s, want 400 saying it takes no query", q, a.code, a.body)
		}
	}
	var n int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT count(*) FROM backflow.river_job`).Scan(&n); err != nil || n != 0 {
		t.Errorf("jobs queued by refused bodies: %d (%v), want 0", n, err)
	}
	for body, wantFull := range map[string]bool{
		``: false, "\n": false, `null`: false, `{}`: false, `{"full":null}`: false, ` {"full": true} `: true,
		`{"Full":true}`: true, `{"full":false}`: false,
		// A UTF-8 byte order mark, which RFC 8259 lets a reader ignore and Windows editors write
		// before a file's text (curl -d @run.json).
		"\ufeff{\"full\": true}": true, "\ufeff": false, "\ufeff\r\n": false,
	} {
		a := apiCall(t, http.MethodPost, u+"?", token, body) // an empty query is none
		var q QueuedRunJSON
		if err := json.Unmarshal([]byte(a.body), &q); err != nil || a.code != http.StatusAccepted || q.Full != wantFull {
			t.Errorf("body %q: %d %s (%v), want a run queued with full %v", body, a.code, a.body, err, wantFull)
		}
	}
}
