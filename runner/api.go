package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// The daemon's API, on --listen beside the status page, for schedulers and CI (dbt Cloud, Airflow,
// a deploy pipeline) to start runs and wait for them. It is served only when BACKFLOW_API_TOKEN
// is set, and every request must carry it as "Authorization: Bearer TOKEN" (never a cookie: a
// browser signed in to the status page must not be able to start runs for another site).
//
//	POST /v1/syncs/{id or name}/runs   body optional: {"full": true}   202 QueuedRunJSON
//	GET  /v1/runs/{id}                 200 QueuedRunJSON
//
// Errors answer {"error": "..."}: 400 bad body, 401 no or wrong token (nothing more said), 404
// unknown sync or run, 409 paused sync, 503 control plane unreachable (or not answering within
// controlPlaneWait).

// QueuedRunJSON is a queued run as the API and `backflow-runner trigger --json` print it.
type QueuedRunJSON struct {
	ID       int64     `json:"id"`
	SyncID   int64     `json:"sync_id"`
	Sync     string    `json:"sync"`
	Full     bool      `json:"full"`
	Status   string    `json:"status"`
	Error    string    `json:"error,omitempty"`
	QueuedAt time.Time `json:"queued_at"`
	// URL is where GET answers the queued run's status.
	URL string   `json:"url"`
	Run *RunJSON `json:"run"`
}

// NewQueuedRunJSON is q as JSON.
func NewQueuedRunJSON(q *QueuedRun) QueuedRunJSON {
	out := QueuedRunJSON{ID: q.ID, SyncID: q.SyncID, Sync: q.SyncName, Full: q.Full, Status: q.Status, Error: q.Error,
		QueuedAt: q.QueuedAt.UTC(), URL: "/v1/runs/" + strconv.FormatInt(q.ID, 10)}
	if q.Run != nil {
		r := NewRunJSON(q.Run, nil)
		out.Run = &r
	}
	return out
}

// RunJSON is a run record as JSON: `backflow-runner runs --json`, and the API's "run".
type RunJSON struct {
	ID         int64                  `json:"id"`
	SyncID     int64                  `json:"sync_id"`
	Sync       string                 `json:"sync"`
	Status     string                 `json:"status"`
	Trigger    string                 `json:"trigger"`
	ParentRuns []int64                `json:"parent_runs,omitempty"`
	StartedAt  time.Time              `json:"started_at"`
	FinishedAt *time.Time             `json:"finished_at"`
	DurationMS int64                  `json:"duration_ms"`
	Counts     controlplane.RunCounts `json:"counts"`
	// What a cursor sync's run read (see docs/runner.md, Incremental reads): full or
	// incremental, and the cursor value an incremental read started from.
	ReadMode       string          `json:"read_mode,omitempty"`
	ReadFrom       string          `json:"read_from,omitempty"`
	Error          string          `json:"error"`
	InvalidSamples json.RawMessage `json:"invalid_samples"`
	Rejected       []RejectedJSON  `json:"rejected,omitempty"`
	// The pace the run's requests ended at: requests per second (0: not paced) and in flight;
	// both 0 when it sent nothing.
	PaceRate        float64 `json:"pace_requests_per_second"`
	PaceConcurrency int     `json:"pace_concurrency"`
}

// RejectedJSON is a record the destination refused, as JSON.
type RejectedJSON struct {
	Key        string    `json:"key"`
	Status     int       `json:"status"`
	Body       string    `json:"body"`
	RejectedAt time.Time `json:"rejected_at"`
}

// NewRunJSON is r as JSON, with the records it had refused (rejected may be nil).
func NewRunJSON(r *controlplane.Run, rejected []controlplane.Rejected) RunJSON {
	out := RunJSON{ID: r.ID, SyncID: r.SyncID, Sync: r.SyncName, Status: r.Status, Trigger: r.Trigger,
		ParentRuns: r.ParentRuns, StartedAt: r.StartedAt.UTC(), DurationMS: r.Duration().Milliseconds(),
		Counts: r.Counts, Error: r.Error, InvalidSamples: r.InvalidSamples, PaceRate: r.PaceRate, PaceConcurrency: r.PaceConcurrency,
		ReadMode: r.ReadMode, ReadFrom: r.ReadFrom}
	if !r.FinishedAt.IsZero() {
		f := r.FinishedAt.UTC()
		out.FinishedAt = &f
	}
	if len(out.InvalidSamples) == 0 {
		out.InvalidSamples = json.RawMessage("[]")
	}
	for _, rj := range rejected {
		out.Rejected = append(out.Rejected, RejectedJSON{Key: rj.Key, Status: rj.Status, Body: rj.Body, RejectedAt: rj.RejectedAt.UTC()})
	}
	return out
}

type api struct {
	store *controlplane.Store
	queue *RunQueue
	token *apiToken
}

// registerAPI serves the API on mux when a token is set; without one it is off (404). Every
// other /v1/ request, and every one while it is off, is answered in JSON too, saying what is
// wrong (apiNoRoute): a client that reads the API's answers as JSON (jq, a CI step) is not
// handed the mux's text ("404 page not found", "Method Not Allowed").
func registerAPI(mux *http.ServeMux, store *controlplane.Store, queue *RunQueue, token *apiToken, gate controlPlaneGate) {
	if token == nil || queue == nil {
		off := "this daemon does not serve the API"
		if token == nil {
			off = "the API is off: set " + APITokenEnv + " on the daemon (backflow-runner run) to serve it"
		}
		mux.HandleFunc("/v1/", func(w http.ResponseWriter, _ *http.Request) { writeJSONError(w, http.StatusNotFound, off) })
		return
	}
	a := &api{store: store, queue: queue, token: token}
	busy := func(w http.ResponseWriter, msg string) { writeJSONError(w, http.StatusServiceUnavailable, msg) }
	mux.HandleFunc("POST /v1/syncs/{sync}/runs", a.authed(boundedByControlPlane(gate, busy, a.queueRun)))
	mux.HandleFunc("GET /v1/runs/{id}", a.authed(boundedByControlPlane(gate, busy, a.queuedRun)))
	mux.HandleFunc("/v1/", apiNoRoute)
}

// apiPaths is what the API serves, for the answer to a request it does not.
const apiPaths = "the API serves POST /v1/syncs/{id or name}/runs and GET /v1/runs/{id}"

// apiNoRoute answers a /v1/ request the API's routes do not take: 405 (with Allow) for one of
// their paths with another method, else 404.
func apiNoRoute(w http.ResponseWriter, r *http.Request) {
	allow := ""
	// The escaped path, as the routes match it: a sync named "a/b" is /v1/syncs/a%2Fb/runs.
	switch p := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/v1/"), "/"); {
	case len(p) == 3 && p[0] == "syncs" && p[1] != "" && p[2] == "runs":
		allow = "POST"
	case len(p) == 2 && p[0] == "runs" && p[1] != "":
		allow = "GET, HEAD"
	}
	if allow == "" {
		writeJSONError(w, http.StatusNotFound, fmt.Sprintf("no such path %q: %s", r.URL.EscapedPath(), apiPaths))
		return
	}
	w.Header().Set("Allow", allow)
	writeJSONError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: this path takes %s (%s)", r.Method, r.URL.EscapedPath(), allow, apiPaths))
}

func (a *api) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.token.bearer(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="backflow"`)
			writeJSONError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		next(w, r)
	}
}

// maxRunRequestBody bounds POST's body, which holds at most {"full": true}.
const maxRunRequestBody = 4 << 10

func (a *api) queueRun(w http.ResponseWriter, r *http.Request) {
	// What the run is asked to be is the body's: a query (?full=true) was ignored, and a run
	// that was not full queued for a request that asked for one.
	if r.URL.RawQuery != "" {
		writeJSONError(w, http.StatusBadRequest, "the run request takes no query (such as ?full=true): send {\"full\": true} as its body for a full run")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRunRequestBody+1))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "cannot read the request body")
		return
	}
	if len(body) > maxRunRequestBody {
		writeJSONError(w, http.StatusRequestEntityTooLarge, "the body holds at most {\"full\": true}")
		return
	}
	full, err := parseRunRequest(body)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("the body is not {\"full\": true|false}: %v", err))
		return
	}
	ref := r.PathValue("sync")
	y, err := a.store.LookupSync(r.Context(), ref)
	switch {
	case errors.Is(err, controlplane.ErrNotFound):
		writeJSONError(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, controlplane.ErrBadRef), errors.Is(err, controlplane.ErrAmbiguousRef):
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		writeJSONError(w, http.StatusServiceUnavailable, "cannot read the control plane")
		return
	}
	q, err := a.queue.Enqueue(r.Context(), y, full)
	switch {
	case errors.Is(err, ErrPaused):
		writeJSONError(w, http.StatusConflict, err.Error())
		return
	case err != nil && queuedUnknown(err):
		// The insert may have been taken, its answer lost: a retry could queue a second run.
		writeJSONError(w, http.StatusServiceUnavailable, "cannot tell whether the run was queued: the control plane did not answer "+
			"(in time, or at all) once asked to queue it; `backflow-runner runs SYNC` lists it (trigger `queued #ID`) once a "+
			"daemon has started it: look there before trying again")
		return
	case err != nil:
		writeJSONError(w, http.StatusServiceUnavailable, "cannot queue the run: the control plane did not take it")
		return
	}
	out := NewQueuedRunJSON(q)
	w.Header().Set("Location", out.URL)
	writeJSON(w, http.StatusAccepted, out)
}

func (a *api) queuedRun(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeJSONError(w, http.StatusNotFound, fmt.Sprintf("%q is not a queued run's id (the id POST /v1/syncs/{sync}/runs answered)", r.PathValue("id")))
		return
	}
	q, err := a.queue.Status(r.Context(), id)
	switch {
	case errors.Is(err, controlplane.ErrNotFound):
		writeJSONError(w, http.StatusNotFound, fmt.Sprintf("no queued run has the id %d", id))
		return
	case err != nil:
		writeJSONError(w, http.StatusServiceUnavailable, "cannot read the control plane")
		return
	}
	writeJSON(w, http.StatusOK, NewQueuedRunJSON(q))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "cannot encode the answer")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

func writeJSONError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// queuedUnknown says whether err, from queueing a run, leaves it unknown whether the run was
// queued: any failure but one known to have come before the control plane was asked (no
// connection, nothing sent) or one it answered (an error of its own: the insert rolled back).
// A deadline, a connection lost once the insert or its commit was sent: the commit may have
// been taken, its answer lost. Not only the deadline: a failover that cuts the connection
// mid-commit leaves the same doubt.
func queuedUnknown(err error) bool {
	var pgErr *pgconn.PgError
	var connErr *pgconn.ConnectError
	return !errors.As(err, &pgErr) && !errors.As(err, &connErr) && !pgconn.SafeToRetry(err)
}

// parseRunRequest reads a POST's body: empty (whitespace only, or null) or one object whose only
// member is "full" (in any letter case, as encoding/json matches it), true, false or null. What
// else it holds is refused, saying what: an unknown member, "full" twice (a proxy or a log
// that reads the first would see another run than the one queued, which takes the last), a
// value not a boolean, a value after the object; in words, not as the Go types a decoder
// names.
func parseRunRequest(body []byte) (full bool, err error) {
	// A UTF-8 byte order mark before the text, which RFC 8259 lets a reader ignore: Windows
	// editors write one before a file's text (curl -d @run.json).
	body = bytes.TrimPrefix(body, []byte("\ufeff"))
	if !utf8.Valid(body) {
		// No valid body holds a byte beyond ASCII: said as what it is (UTF-16, Latin-1), not
		// as the decoder's "invalid character 'ÿ'".
		return false, errors.New("it is not UTF-8 text")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	next := func() (json.Token, error) {
		t, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("it ends before the object does")
		}
		if err != nil {
			return nil, fmt.Errorf("it is not JSON: %v", err)
		}
		return t, nil
	}
	t, err := next()
	if err != nil {
		return false, err
	}
	if t != json.Delim('{') {
		if t != nil {
			return false, fmt.Errorf("it is %s, not an object", jsonKind(t))
		}
	} else {
		seen := false
		for dec.More() {
			k, err := next()
			if err != nil {
				return false, err
			}
			if key, _ := k.(string); !strings.EqualFold(key, "full") {
				return false, fmt.Errorf("unknown member %q: the only one is \"full\"", key)
			} else if seen {
				return false, errors.New("it holds \"full\" more than once")
			}
			seen = true
			v, err := next()
			if err != nil {
				return false, err
			}
			switch v := v.(type) {
			case bool:
				full = v
			case nil:
			default:
				return false, fmt.Errorf("\"full\" is %s, not true or false", jsonKind(v))
			}
		}
		if _, err := next(); err != nil { // the closing brace
			return false, err
		}
	}
	switch _, err := dec.Token(); {
	case errors.Is(err, io.EOF):
		return full, nil
	case err != nil:
		return false, fmt.Errorf("what follows its value is not JSON: %v", err)
	}
	return false, errors.New("it holds more than one JSON value")
}

// jsonKind names what a JSON token (json.Decoder.Token) starts, for a message.
func jsonKind(t json.Token) string {
	switch t := t.(type) {
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}
