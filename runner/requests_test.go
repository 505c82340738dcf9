package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// restReceiver is a REST-style API (POST /api/contacts, PATCH and DELETE /api/contacts/{id},
// anything under /api/bulk) on the tests' recording receiver: take returns each request since the
// last take as "METHOD path body". reject, when set, answers 422 to a body containing it.
type restReceiver struct {
	*webhooktest.Receiver
	mu     sync.Mutex
	taken  int
	reject string
}

func newRESTReceiver(t *testing.T) *restReceiver {
	r := &restReceiver{Receiver: webhooktest.New(t)}
	r.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		p, _, _ := strings.Cut(req.Path, "?")
		ok := req.Method == http.MethodPost && p == "/api/contacts" ||
			(req.Method == http.MethodPatch || req.Method == http.MethodDelete) && strings.HasPrefix(p, "/api/contacts/") ||
			strings.HasPrefix(p, "/api/bulk")
		if !ok {
			t.Errorf("unexpected request %s %s", req.Method, req.Path)
			w.WriteHeader(404)
			return true
		}
		r.mu.Lock()
		reject := r.reject
		r.mu.Unlock()
		if reject != "" && bytes.Contains(req.Body, []byte(reject)) {
			w.WriteHeader(422)
			_, _ = io.WriteString(w, "refused")
			return true
		}
		return false
	})
	return r
}

// take returns the requests accepted since the last take, sorted, and their Content-Types.
func (r *restReceiver) take() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reqs := r.Requests()[r.taken:]
	r.taken += len(reqs)
	var got, ctypes []string
	for _, q := range reqs {
		line := q.Method + " " + q.Path
		if len(q.Body) > 0 {
			line += " " + string(q.Body)
		}
		got = append(got, line)
		ctypes = append(ctypes, q.Header.Get("Content-Type"))
	}
	sort.Strings(got)
	return got, ctypes
}

// restFixture is a fixture whose model is contacts keyed by email (awkward keys included) and
// whose destination is a REST receiver, with the request spec given.
func restFixture(t *testing.T, behavior string, spec *controlplane.RequestSpec) (*fixture, *restReceiver) {
	f := newFixture(t, behavior, nil)
	f.exec(`CREATE TABLE contacts (email text PRIMARY KEY, name text, score int);
		INSERT INTO contacts VALUES ('ada lovelace@example.com', 'Ada', 1), ('a/b@example.com', 'Bob', 2),
			('zoë@例え.jp', 'Zoë', 3)`)
	f.model.Table = "public.contacts"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	rest := newRESTReceiver(t)
	f.dest.Webhook.URL = rest.URL + "/api"
	if err := f.store.UpdateConnection(f.ctx, f.dest); err != nil {
		t.Fatal(err)
	}
	f.sync.PrimaryKey, f.sync.Request = "email", spec
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	return f, rest
}

const contactBody = `{"email": {{ record.email | json }}, "name": {{ record.name | json }}, "op": "{{ operation }}", "sync": {{ sync.name | json }}}`

// A mirror sync over three rounds sends exactly one request per record, of its operation, with
// its key URL-encoded as a path segment.
func TestRequestsRESTMirror(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorMirror, &controlplane.RequestSpec{
		Mode:    controlplane.RequestModeRecord,
		New:     &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: contactBody},
		Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/contacts/{{ record.email | url_encode }}", Body: contactBody},
		Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.email | url_encode }}"},
	})
	body := func(email, name, op string) string {
		return fmt.Sprintf(`{"email": %q, "name": %q, "op": %q, "sync": "Active users to webhook"}`, email, name, op)
	}

	run := f.run(controlplane.RunSucceeded, RunOptions{})
	want := []string{
		"POST /api/contacts " + body("a/b@example.com", "Bob", "new"),
		"POST /api/contacts " + body("ada lovelace@example.com", "Ada", "new"),
		"POST /api/contacts " + body("zoë@例え.jp", "Zoë", "new"),
	}
	if diff := cmp.Diff(want, takeLines(rest)); diff != "" {
		t.Fatalf("round 1 (-want +got):\n%s", diff)
	}
	if run.Counts.New != 3 || run.Counts.Delivered != 3 {
		t.Fatalf("round 1 counts %+v", run.Counts)
	}

	f.exec(`UPDATE contacts SET name = 'Ada L.' WHERE score = 1; UPDATE contacts SET name = 'Zoé' WHERE score = 3;
		INSERT INTO contacts VALUES ('new one@example.com', 'New', 4)`)
	f.run(controlplane.RunSucceeded, RunOptions{})
	want = []string{
		"PATCH /api/contacts/ada%20lovelace%40example.com " + body("ada lovelace@example.com", "Ada L.", "changed"),
		"PATCH /api/contacts/zo%C3%AB%40%E4%BE%8B%E3%81%88.jp " + body("zoë@例え.jp", "Zoé", "changed"),
		"POST /api/contacts " + body("new one@example.com", "New", "new"),
	}
	if diff := cmp.Diff(want, takeLines(rest)); diff != "" {
		t.Fatalf("round 2 (-want +got):\n%s", diff)
	}

	f.exec(`DELETE FROM contacts WHERE score = 2`)
	run = f.run(controlplane.RunSucceeded, RunOptions{})
	want = []string{"DELETE /api/contacts/a%2Fb%40example.com"}
	if diff := cmp.Diff(want, takeLines(rest)); diff != "" {
		t.Fatalf("round 3 (-want +got):\n%s", diff)
	}
	if run.Counts.Deleted != 1 || run.Counts.Delivered != 1 {
		t.Fatalf("round 3 counts %+v", run.Counts)
	}
	// One delivery log row per request, with the request's operation.
	ds, err := f.store.ListDeliveries(f.ctx, controlplane.DeliveryFilter{SyncID: f.sync.ID, RunID: run.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Operation != controlplane.OpDeleted || ds[0].Records != 1 {
		t.Fatalf("delivery log of round 3: %+v", ds)
	}
}

// A record whose body does not render (here: invalid JSON for it alone) is rejected with the
// reason, without a request, and the others go; a 4xx rejects only its record.
func TestRequestsRenderFailureRejectsOneRecord(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, &controlplane.RequestSpec{
		Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts",
			Body: `{"email": {{ record.email | json }}, "name": {% if record.score == 2 %}{{ record.name }}{% else %}{{ record.name | json }}{% endif %}}`},
	})
	rest.mu.Lock()
	rest.reject = "Zoë"
	rest.mu.Unlock()
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	got := takeLines(rest)
	if len(got) != 1 || !strings.Contains(got[0], "ada lovelace") {
		t.Fatalf("delivered %q, want only Ada's", got)
	}
	if run.Counts.Delivered != 1 || run.Counts.Rejected != 2 {
		t.Fatalf("counts %+v", run.Counts)
	}
	bad, err := f.store.GetRejected(f.ctx, f.sync.ID, "a/b@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if bad.Status != 0 || !strings.Contains(bad.Body, "not valid JSON") {
		t.Fatalf("render failure rejected as %d %q", bad.Status, bad.Body)
	}
	refused, err := f.store.GetRejected(f.ctx, f.sync.ID, "zoë@例え.jp")
	if err != nil {
		t.Fatal(err)
	}
	if refused.Status != 422 || refused.Body != "refused" {
		t.Fatalf("4xx rejected as %d %q", refused.Status, refused.Body)
	}
}

// Batch mode renders `records`; NDJSON sends the mapped records a line each; form bodies send
// a record's fields.
func TestRequestsBatchNDJSONForm(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  *controlplane.RequestSpec
		want  []string
		ctype string
	}{
		{
			name: "batch json template",
			spec: &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch, New: &controlplane.OperationRequest{
				Method: "POST", Path: "/bulk?run={{ run.id }}",
				Body: `{"model": {{ model.name | json }}, "items": [{% for r in records %}{"id": {{ r.email | json }}, "score": {{ r.score }}}{% unless forloop.last %}, {% endunless %}{% endfor %}]}`,
			}},
			want: []string{
				`POST /api/bulk?run=RUN {"model": "active users", "items": [{"id": "a/b@example.com", "score": 2}, {"id": "ada lovelace@example.com", "score": 1}]}`,
				`POST /api/bulk?run=RUN {"model": "active users", "items": [{"id": "zoë@例え.jp", "score": 3}]}`,
			},
			ctype: "application/json",
		},
		{
			name: "ndjson",
			spec: &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch, New: &controlplane.OperationRequest{
				Method: "PUT", Path: "/bulk", Format: controlplane.FormatNDJSON,
			}},
			want: []string{
				"PUT /api/bulk {\"email\":\"a/b@example.com\",\"name\":\"Bob\",\"score\":2}\n{\"email\":\"ada lovelace@example.com\",\"name\":\"Ada\",\"score\":1}\n",
				"PUT /api/bulk {\"email\":\"zoë@例え.jp\",\"name\":\"Zoë\",\"score\":3}\n",
			},
			ctype: "application/x-ndjson",
		},
		{
			name: "form",
			spec: &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord, New: &controlplane.OperationRequest{
				Method: "POST", Path: "/contacts", Format: controlplane.FormatForm,
			}},
			want: []string{
				"POST /api/contacts email=a%2Fb%40example.com&name=Bob&score=2",
				"POST /api/contacts email=ada+lovelace%40example.com&name=Ada&score=1",
				"POST /api/contacts email=zo%C3%AB%40%E4%BE%8B%E3%81%88.jp&name=Zo%C3%AB&score=3",
			},
			ctype: "application/x-www-form-urlencoded",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, tc.spec)
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			got, ctypes := rest.take()
			for i := range tc.want {
				tc.want[i] = strings.ReplaceAll(tc.want[i], "RUN", fmt.Sprint(run.ID))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("requests (-want +got):\n%s", diff)
			}
			for _, c := range ctypes {
				if c != tc.ctype {
					t.Fatalf("Content-Type %q, want %q", c, tc.ctype)
				}
			}
			if tc.spec.New.Format == controlplane.FormatForm {
				v, err := url.ParseQuery(strings.SplitN(got[2], " ", 3)[2])
				if err != nil || v.Get("email") != "zoë@例え.jp" {
					t.Fatalf("form body does not decode: %v %v", v, err)
				}
			}
		})
	}
}

// Every value type a Postgres model returns goes through `json` in a template and comes out
// exactly as the envelope sends it, through a strict JSON parser.
func TestRequestsEveryValueTypeThroughJSON(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, &controlplane.RequestSpec{
		Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts",
			Body: `{"whole": {{ record | json }}, "fields": {` + everyFields() + `}, "hash": "{{ record.t | sha256 }}", "day": "{{ record.ts | date: "%Y-%m-%d" }}"}`},
	})
	f.exec(`CREATE TABLE every (id int PRIMARY KEY, i2 smallint, i8 bigint, n numeric, big numeric, f4 real, f8 double precision,
		b boolean, t text, j json, jb jsonb, ts timestamp, tz timestamptz, d date, u uuid, arr int[], tarr text[], nul text);
		INSERT INTO every VALUES (1, -3, 9007199254740993, 12.50, 123456789012345678901234567890.5, 1.5, 0.1,
			true, E'quote " backslash \\ tab \t newline \n ü 例 </script>', '{"a": [1, {"b": null}]}', '{"k": "v"}',
			'2024-02-29 23:59:59.123456', '2024-02-29 23:59:59+02', '2024-02-29', '123e4567-e89b-12d3-a456-426614174000',
			'{1,2,3}', '{"x y","z"}', NULL)`)
	f.model.Table = "public.every"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	f.sync.PrimaryKey = "id"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	got := takeLines(rest)
	if len(got) != 1 {
		rej, _ := f.store.ListRejected(f.ctx, f.sync.ID)
		t.Fatalf("got %d requests; rejected: %+v", len(got), rej)
	}
	body := strings.SplitN(got[0], " ", 3)[2]
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var out struct {
		Whole, Fields map[string]any
		Hash, Day     string
	}
	if err := dec.Decode(&out); err != nil || dec.More() {
		t.Fatalf("body is not strict JSON: %v\n%s", err, body)
	}
	// The record as the envelope sends it.
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	d := json.NewDecoder(bytes.NewReader(dr.Samples["changed"][0]))
	d.UseNumber()
	if err := d.Decode(&want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.Whole, want) || !reflect.DeepEqual(out.Fields, want) {
		t.Fatalf("through the template:\n%v\n%v\nthe envelope's record:\n%v", out.Whole, out.Fields, want)
	}
	if out.Day != "2024-02-29" || len(out.Hash) != 64 {
		t.Fatalf("day %q hash %q", out.Day, out.Hash)
	}
	if len(dr.Requests) != 1 || dr.Requests[0].Method != "POST" || !strings.HasSuffix(dr.Requests[0].URL, "/…/contacts") ||
		strings.Contains(dr.Requests[0].URL, "/api") {
		t.Fatalf("dry run's sample request: %+v", dr.Requests)
	}
}

// everyFields is a JSON template of each column of the table every, a field at a time.
func everyFields() string {
	var parts []string
	for _, c := range strings.Fields("id i2 i8 n big f4 f8 b t j jb ts tz d u arr tarr nul") {
		parts = append(parts, fmt.Sprintf("%q: {{ record.%s | json }}", c, c))
	}
	return strings.Join(parts, ", ")
}

func takeLines(r *restReceiver) []string {
	got, _ := r.take()
	return got
}

// A record whose render passes the budget (here a loop that writes nothing, on the branch that
// record takes) is rejected with the reason, and the run goes on with the others; it held the
// sync (and a core) for as long as the loop ran.
func TestRequestsRenderBudgetRejectsOneRecord(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, &controlplane.RequestSpec{
		Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts",
			Body: `{% if record.score == 2 %}{% for i in (1..2000000000) %}{% endfor %}{% endif %}{"email": {{ record.email | json }}}`},
	})
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if got := takeLines(rest); len(got) != 2 || run.Counts.Delivered != 2 || run.Counts.Rejected != 1 {
		t.Fatalf("delivered %q, counts %+v; want all but one", got, run.Counts)
	}
	bad, err := f.store.GetRejected(f.ctx, f.sync.ID, "a/b@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if bad.Status != 0 || !strings.Contains(bad.Body, "line 1, column 27: it does more work than a render may (1000000 steps") {
		t.Fatalf("a render past its budget rejected as %d %q", bad.Status, bad.Body)
	}
}

// A key that is a dot segment, or holds one between slashes ("..", "../admin"), put in a path
// through url_encode (%2E%2E, ..%2Fadmin), would name another resource once the endpoint decodes
// the path: DELETE /api/contacts/%2E%2E is DELETE /api to Go's server, nginx and most
// frameworks. Its delete is rejected with the reason, never sent, counted as rejected and kept
// with its key; the other deletes of the run go on. So is a key of fullwidth full stops (U+FF0E),
// which servers that normalise Unicode (NFKC) read as ".."; a key café/notes is sent.
func TestRequestsDotSegmentKeyIsRejected(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorMirror, &controlplane.RequestSpec{
		Mode:    controlplane.RequestModeRecord,
		New:     &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: contactBody},
		Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.email | url_encode }}"},
	})
	f.exec(`INSERT INTO contacts VALUES ('..', 'Dots', 5), ('../admin', 'Up', 6), ('c@example.com', 'C', 1),
		('d@example.com', 'D', 1), ('．．', 'Fullwidth dots', 5), ('café/notes', 'Cafe', 6),
		('e@example.com', 'E', 1), ('f@example.com', 'F', 1)`) // the guard refuses deleting more than half
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.Counts.Delivered != 11 {
		t.Fatalf("round 1 counts %+v, want the 11 creates delivered", run.Counts)
	}
	takeLines(rest)

	f.exec(`DELETE FROM contacts WHERE score >= 5 OR score = 2`)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	got := takeLines(rest)
	slices.Sort(got)
	if diff := cmp.Diff([]string{"DELETE /api/contacts/a%2Fb%40example.com", "DELETE /api/contacts/caf%C3%A9%2Fnotes"}, got); diff != "" {
		t.Errorf("round 2 requests (-want +got):\n%s", diff)
	}
	if run.Counts.Deleted != 5 || run.Counts.Delivered != 2 || run.Counts.Rejected != 3 {
		t.Errorf("round 2 counts %+v, want 5 deletes: 2 delivered, 3 rejected", run.Counts)
	}
	for _, key := range []string{"..", "../admin", "．．"} {
		bad, err := f.store.GetRejected(f.ctx, f.sync.ID, key)
		if err != nil {
			t.Fatalf("rejection of %q: %v", key, err)
		}
		if bad.Status != 0 || !strings.Contains(bad.Body, "another path") {
			t.Errorf("key %q rejected as %d %q, want status 0 and why", key, bad.Status, bad.Body)
		}
	}
}

// A key put in a path without url_encode cannot make the request name another resource: a
// mirror sync whose delete path is /contacts/{{ record.email }} sent the delete of a key x/y as
// DELETE /api/contacts/x/y and of 7?force=true as DELETE /api/contacts/7 with a parameter,
// deleting other records than the ones gone. Such a delete is rejected with the reason (naming
// the tag and url_encode), never sent, counted as rejected and kept with its key; the run's
// other deletes go on. So is the delete of an empty key, which was DELETE /api/contacts/.
func TestRequestsKeyCannotNameAnotherResource(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorMirror, &controlplane.RequestSpec{
		Mode:    controlplane.RequestModeRecord,
		New:     &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: contactBody},
		Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.email }}"},
	})
	hostile := []string{"x/y", "1/../2", "7?force=true", `a\b`, "8;x"}
	f.exec(`INSERT INTO contacts VALUES ('x/y', 'Slash', 5), ('1/../2', 'Up', 5), ('7?force=true', 'Query', 5),
		('a\b', 'Backslash', 5), ('8;x', 'Semicolon', 5), ('c@example.com', 'C', 6),
		('d@example.com', 'D', 1), ('e@example.com', 'E', 1), ('f@example.com', 'F', 1), ('g@example.com', 'G', 1),
		('', 'Empty', 5), ('h@example.com', 'H', 1)`)
	if run := f.run(controlplane.RunSucceeded, RunOptions{}); run.Counts.Delivered != 15 {
		t.Fatalf("round 1 counts %+v, want the 15 creates delivered", run.Counts)
	}
	takeLines(rest)

	f.exec(`DELETE FROM contacts WHERE score >= 5`)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if diff := cmp.Diff([]string{"DELETE /api/contacts/c@example.com"}, takeLines(rest)); diff != "" {
		t.Errorf("round 2 requests (-want +got):\n%s", diff)
	}
	if run.Counts.Deleted != 7 || run.Counts.Delivered != 1 || run.Counts.Rejected != 6 {
		t.Errorf("round 2 counts %+v, want 7 deletes: 1 delivered, 6 rejected", run.Counts)
	}
	// An empty key would name the collection (DELETE /api/contacts/), url_encode or not.
	if bad, err := f.store.GetRejected(f.ctx, f.sync.ID, ""); err != nil || bad.Status != 0 || !strings.Contains(bad.Body, "wrote nothing") {
		t.Errorf("key \"\" rejected as %+v (%v), want status 0 and why", bad, err)
	}
	for _, key := range hostile {
		bad, err := f.store.GetRejected(f.ctx, f.sync.ID, key)
		if err != nil {
			t.Fatalf("rejection of %q: %v", key, err)
		}
		if bad.Status != 0 || !strings.Contains(bad.Body, "url_encode") {
			t.Errorf("key %q rejected as %d %q, want status 0 and why, naming url_encode", key, bad.Status, bad.Body)
		}
	}
}

// A dry run of a sync whose request templates hash its key (an ad audience's e-mail addresses,
// no mappings) shows neither its sample keys nor the key in its sample records, as a sync whose
// `hash` mapping hashes the key does: what it prints is printed where the warehouse's data is
// not. Its sample requests are what the sync sends: hashed. A template that sends the key (here
// url_encoded in the path) shows them.
func TestDryRunWithholdsKeyHashedInRequests(t *testing.T) {
	hashed := &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts",
			Body: `{"h": {{ record.email | downcase | sha256 | json }}, "name": {{ record.name | json }}}`}}
	f, _ := restFixture(t, controlplane.BehaviorUpdateOrCreate, hashed)
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%q %s %+v", dr.SampleKeys, dr.Samples, dr.Requests)
	if !strings.Contains(dr.KeyWithheld, `never carry its primary key "email"`) || len(dr.SampleKeys["new"]) != 0 ||
		len(dr.Samples["changed"]) != 3 || len(dr.Requests) != 3 || strings.Contains(out, "example.com") || strings.Contains(out, "例え") ||
		!strings.Contains(string(dr.Samples["changed"][0]), `"email":"(withheld)"`) {
		t.Fatalf("withheld %q: %s", dr.KeyWithheld, out)
	}

	f.sync.Request = &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts/{{ record.email | url_encode }}"}}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	if dr, err = f.engine.DryRun(f.ctx, f.sync.ID, true, 3); err != nil {
		t.Fatal(err)
	}
	if dr.KeyWithheld != "" || len(dr.SampleKeys["new"]) != 3 || !strings.Contains(string(dr.Samples["changed"][0]), "example.com") {
		t.Fatalf("sent in the path: withheld %q, %q %s", dr.KeyWithheld, dr.SampleKeys, dr.Samples)
	}
}

// A record whose value url_decode turns into bytes that are not UTF-8 (a Latin-1 escape) is
// rejected alone, saying so, instead of sent in a body that is not JSON; the others go.
func TestRequestsBodyNotUTF8RejectsOneRecord(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, &controlplane.RequestSpec{
		Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts",
			Body: `{"email": {{ record.email | json }}, "name": "{{ record.name | url_decode }}"}`},
	})
	f.exec(`UPDATE contacts SET name = 'caf%E9' WHERE score = 2`)
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if got := takeLines(rest); len(got) != 2 || slices.ContainsFunc(got, func(s string) bool { return !utf8.ValidString(s) }) {
		t.Fatalf("delivered %q, want Ada's and Zoë's", got)
	}
	if run.Counts.Delivered != 2 || run.Counts.Rejected != 1 {
		t.Fatalf("counts %+v", run.Counts)
	}
	bad, err := f.store.GetRejected(f.ctx, f.sync.ID, "a/b@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if bad.Status != 0 || !strings.Contains(bad.Body, "not UTF-8") {
		t.Fatalf("rejected as %d %q", bad.Status, bad.Body)
	}
}

// The status decides, never the answer's body (docs/destinations.md): a 207 Multi-Status whose
// body lists a failure, a 202 and a 204 each deliver every record their request carried.
func TestRequestsAnySuccessStatusDelivers(t *testing.T) {
	for _, status := range []int{http.StatusMultiStatus, http.StatusAccepted, http.StatusNoContent} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, &controlplane.RequestSpec{
				Mode: controlplane.RequestModeBatch,
				New:  &controlplane.OperationRequest{Method: "POST", Path: "/bulk", Body: `{"records": {{ records | json }}, "n": {{ records | size }}}`},
			})
			var mu sync.Mutex
			n := 0
			rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
				mu.Lock()
				n++
				mu.Unlock()
				w.WriteHeader(status)
				if status != http.StatusNoContent {
					_, _ = io.WriteString(w, `{"success": false, "results": [{"status": 400, "error": "invalid"}]}`)
				}
				return true
			})
			run := f.run(controlplane.RunSucceeded, RunOptions{})
			if run.Counts.Delivered != 3 || run.Counts.Rejected != 0 {
				t.Fatalf("counts %+v", run.Counts)
			}
			sent := func() int { mu.Lock(); defer mu.Unlock(); return n }
			first := sent()
			if first == 0 {
				t.Fatal("no request")
			}
			f.run(controlplane.RunSucceeded, RunOptions{})
			if got := sent(); got != first {
				t.Fatalf("%d requests after a second run, want the first run's %d: its records were sent again", got, first)
			}
		})
	}
}
