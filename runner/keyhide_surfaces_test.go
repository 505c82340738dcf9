package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// hashedRequests sends the contacts' e-mail addresses (their key) only hashed: KeyWithheld
// withholds them.
var hashedRequests = &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
	New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts",
		Body: `{"h": {{ record.email | downcase | sha256 | json }}, "name": {{ record.name | json }}}`}}

// The record `test` sends, as it prints it, shows the key's value of a sync whose templates
// only send it hashed as its dry run does, "(withheld)"; so does the error of a record whose
// request could not be built. A sync that sends its key shows it.
func TestTestWithholdsKeyHashedInRequests(t *testing.T) {
	f, _ := restFixture(t, controlplane.BehaviorUpdateOrCreate, hashedRequests)
	res, err := f.engine.Test(f.ctx, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.KeyWithheld, `never carry its primary key "email"`) || strings.Contains(string(res.Record), "@") ||
		!strings.Contains(string(res.Record), `"email":"(withheld)"`) {
		t.Errorf("tested a sync that sends its key hashed: record %s, withheld %q; want the key withheld", res.Record, res.KeyWithheld)
	}

	// Requests that are not built: not valid JSON once rendered ("name": Bob), and the key
	// given to a filter that quotes it in its error. The error quotes the record, and why.
	for _, body := range []string{
		`{"h": {{ record.email | sha256 | json }}, "name": {{ record.name }}}`,
		`{"h": {{ record.email | sha256 | json }}, "d": {{ record.email | date: "%Y" | json }}}`,
	} {
		f.sync.Request = &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: body}}
		if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
			t.Fatal(err)
		}
		_, err = f.engine.Test(f.ctx, f.sync.ID)
		if err == nil || !strings.Contains(err.Error(), "could not be built for the record") || strings.Contains(err.Error(), "@") ||
			!strings.Contains(err.Error(), `"email":"(withheld)"`) {
			t.Errorf("a request that cannot be built (%s): %v; want the record quoted with its key withheld", body, err)
		}
	}

	f.sync.Request = &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: contactBody}}
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	if res, err = f.engine.Test(f.ctx, f.sync.ID); err != nil {
		t.Fatal(err)
	}
	if res.KeyWithheld != "" || !strings.Contains(string(res.Record), "@example.com") {
		t.Errorf("tested a sync that sends its key: record %s, withheld %q; want the key shown", res.Record, res.KeyWithheld)
	}
}

// A run's invalid samples (and a dry run's) show neither the key nor a field holding it of a
// sync whose templates only send it hashed, as its preview does: a run records them, and
// `runs show`, the API and the status page print them.
func TestInvalidSamplesWithholdKeyHashedInRequests(t *testing.T) {
	f, _ := restFixture(t, controlplane.BehaviorUpdateOrCreate, hashedRequests)
	long := strings.Repeat("x", controlplane.MaxKeyBytes) + "@example.com"
	f.exec(`ALTER TABLE contacts DROP CONSTRAINT contacts_pkey`)
	f.exec(`INSERT INTO contacts VALUES ('a/b@example.com', 'Bob again', 5), ($1, 'Long', 6)`, long)
	check := func(what string, samples json.RawMessage) {
		t.Helper()
		var got []invalidSample
		if err := json.Unmarshal(samples, &got); err != nil {
			t.Fatalf("%s: %v: %s", what, err, samples)
		}
		s := string(samples)
		if len(got) != 2 || strings.Contains(s, "@") || strings.Contains(s, "xxxxxxxx") {
			t.Errorf("%s: invalid samples %s; want the two, without their keys", what, s)
		}
		for _, g := range got {
			if g.Key == nil || *g.Key != "(withheld)" {
				t.Errorf("%s: a sample's key is not shown as (withheld): %s", what, s)
			}
		}
	}
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	check("dry run", dr.InvalidSamples)
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if run == nil {
		t.Fatalf("run not recorded: %v", err)
	}
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	check("run", stored.InvalidSamples)
}

// The status page's failed requests show the first and last keys of a sync whose templates
// only send its key hashed as "(withheld)", as its preview would.
func TestStatusPageWithholdsKeyHashedInRequests(t *testing.T) {
	t.Setenv(APITokenEnv, "")
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, hashedRequests)
	rest.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte("audience full"))
		return true
	})
	f.run(controlplane.RunSucceeded, RunOptions{})
	req := httptest.NewRequest(http.MethodGet, "/syncs/"+strconv.FormatInt(f.sync.ID, 10), nil)
	req.Host = "127.0.0.1"
	rec := httptest.NewRecorder()
	Handler(f.store, nil, nil).ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "audience full") || !strings.Contains(body, "(withheld)") ||
		strings.Contains(body, "@example.com") || strings.Contains(body, "@例え") {
		t.Errorf("the sync's page: %d, want its failed requests without their keys:\n%s", rec.Code, body)
	}
}

// A record whose request cannot be built is rejected with why, which may quote what a template
// was given (here the key, to a date filter); for a sync whose templates only send its key
// hashed the rejection is recorded with "(withheld)" in its place (`runs show` and `records`
// print it), and the dry run's sample request says why without it.
func TestRejectionWithholdsKeyHashedInRequests(t *testing.T) {
	f, _ := restFixture(t, controlplane.BehaviorUpdateOrCreate, &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts",
			Body: `{"h": {{ record.email | sha256 | json }}, "d": {{ record.email | date: "%Y" | json }}}`}})
	dr, err := f.engine.DryRun(f.ctx, f.sync.ID, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(dr.Requests) != 3 {
		t.Fatalf("dry run: %d sample requests, want 3: %+v", len(dr.Requests), dr.Requests)
	}
	for _, r := range dr.Requests {
		if strings.Contains(r.Err, "@") || !strings.Contains(r.Err, "(withheld)") {
			t.Errorf("dry run: a sample request not built: %q; want why, without the key", r.Err)
		}
	}
	f.run(controlplane.RunSucceeded, RunOptions{})
	rejected, err := f.store.ListRejected(f.ctx, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != 3 {
		t.Fatalf("%d records rejected, want the 3: %+v", len(rejected), rejected)
	}
	for _, r := range rejected {
		if r.Status != 0 || strings.Contains(r.Body, "@") || !strings.Contains(r.Body, "(withheld)") {
			t.Errorf("the rejection of a record: %d %q; want why it was not built, without its key", r.Status, r.Body)
		}
	}
}

// echoKeyHandler answers each request of hashedRequests with status and a body that quotes the
// record's key, as an endpoint that knows its contacts by their hashed address does: JSON-quoted
// and as it is.
func echoKeyHandler(t *testing.T, status int) func(*webhooktest.Request, http.ResponseWriter) bool {
	byHash := map[string]string{}
	for _, k := range []string{"ada lovelace@example.com", "a/b@example.com", "zoë@例え.jp"} {
		sum := sha256.Sum256([]byte(strings.ToLower(k)))
		byHash[hex.EncodeToString(sum[:])] = k
	}
	return func(req *webhooktest.Request, w http.ResponseWriter) bool {
		var body struct{ H string }
		if err := json.Unmarshal(req.Body, &body); err != nil || byHash[body.H] == "" {
			t.Errorf("a request the test does not know: %s", req.Body)
		}
		k := byHash[body.H]
		j, _ := json.Marshal(map[string]string{"error": "contact " + k + " refused", "email": k})
		w.WriteHeader(status)
		_, _ = w.Write(j)
		return true
	}
}

// An endpoint's answer that quotes the key of a sync whose templates only send it hashed is
// stored in the delivery log without it (`deliveries` prints it, text and --json, and the
// status page), as the rejection of its record is: an answer refusing the record (422) and one
// the run ends on (503, its retries spent, which the run's error quotes too).
func TestDeliveryLogWithholdsKeyHashedInRequests(t *testing.T) {
	keys := []string{"ada lovelace@example.com", "a/b@example.com", "zoë@例え.jp", "a\\/b@example.com", `zo\u00eb`}
	leaks := func(s string) bool {
		for _, k := range keys {
			if strings.Contains(s, k) {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		status int
		want   string
	}{{http.StatusUnprocessableEntity, controlplane.RunSucceeded}, {http.StatusServiceUnavailable, controlplane.RunFailed},
		{http.StatusGone, controlplane.RunFailed}} {
		f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, hashedRequests)
		rest.Handle(echoKeyHandler(t, tc.status))
		run := f.run(tc.want, RunOptions{})
		if leaks(run.Error) {
			t.Errorf("%d: the run's error quotes a key: %s", tc.status, run.Error)
		}
		if y, err := f.store.GetSync(f.ctx, f.sync.ID); err != nil || leaks(y.PausedReason) {
			t.Errorf("%d: the sync's pause reason quotes a key: %q, %v", tc.status, y.PausedReason, err)
		}
		ds, err := f.store.ListDeliveries(f.ctx, controlplane.DeliveryFilter{SyncID: f.sync.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			t.Fatalf("%d: no delivery logged", tc.status)
		}
		withheld := false
		for _, d := range ds {
			// A request stopped in its first attempt (the run ending) has no answer.
			if leaks(d.Body) || leaks(d.Error) || d.Body != "" && !strings.Contains(d.Body, "(withheld)") {
				t.Errorf("%d: a delivery logged with body %q, error %q; want the key withheld", tc.status, d.Body, d.Error)
			}
			withheld = withheld || strings.Contains(d.Body, "(withheld)")
		}
		if !withheld {
			t.Errorf("%d: no answer logged with the key withheld: %+v", tc.status, ds)
		}
	}
}

// The answer `test` prints of a sync whose templates only send its key hashed does not quote
// the key the endpoint echoes, as the record it prints does not.
func TestTestAnswerWithholdsKeyHashedInRequests(t *testing.T) {
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, hashedRequests)
	rest.Handle(echoKeyHandler(t, http.StatusUnprocessableEntity))
	res, err := f.engine.Test(f.ctx, f.sync.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusUnprocessableEntity || strings.Contains(res.Body, "@") || !strings.Contains(res.Body, "(withheld)") {
		t.Errorf("test: answer %d %q; want the 422 without the key", res.Status, res.Body)
	}
}

// A sync that sent its key as the runner writes it into a request (url_encode in a path, a form
// body), then was changed to send it only hashed, shows the answers and errors its delivery log
// recorded before without the key in those encodings too: an endpoint echoes the path it was
// asked for percent-encoded (Express's "Cannot POST /contacts/a%2Fb%40example.com") and a form
// body as it got it ("ada+lovelace%40example.com").
func TestDeliveryLogWithholdsKeyEchoedURLEncoded(t *testing.T) {
	for _, spec := range []*controlplane.RequestSpec{
		{Mode: controlplane.RequestModeRecord, New: &controlplane.OperationRequest{Method: "POST",
			Path: "/contacts/{{ record.email | url_encode }}", Body: `{"name": {{ record.name | json }}}`}},
		{Mode: controlplane.RequestModeRecord, New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts",
			Format: controlplane.FormatForm}},
	} {
		f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, spec)
		rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = w.Write([]byte("Cannot " + req.Method + " " + req.Path + " with " + string(req.Body)))
			return true
		})
		f.run(controlplane.RunSucceeded, RunOptions{})
		f.sync.Request = hashedRequests
		if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
			t.Fatal(err)
		}
		why, err := StoredKeyWithheld(f.ctx, f.store, f.sync)
		if err != nil || why == "" {
			t.Fatalf("the sync now hashes its key: withheld %q, %v", why, err)
		}
		ds, err := f.store.ListDeliveries(f.ctx, controlplane.DeliveryFilter{SyncID: f.sync.ID})
		if err != nil || len(ds) == 0 {
			t.Fatalf("no delivery logged: %v", err)
		}
		for _, d := range ds {
			shown := ShownDelivery(why, d)
			for _, k := range []string{"ada lovelace@example.com", "a/b@example.com", "zoë@例え.jp"} {
				for _, form := range []string{webhook.PercentEncode(k), url.QueryEscape(k), url.PathEscape(k)} {
					if strings.Contains(shown.Body, form) || strings.Contains(shown.Error, form) {
						t.Errorf("%s: a delivery shown with the key %q as %q: body %q, error %q", spec.New.Path, k, form, shown.Body, shown.Error)
					}
				}
			}
		}
	}
}

// A run's error recorded while the sync sent its key (an answer the run ended on that echoes the
// record's path) is shown without the key once the sync sends it only hashed, as the delivery
// log's answer to that request is: `runs`, `runs show`, the API and the status page.
func TestRunErrorWithholdsKeyRecordedBeforeHashing(t *testing.T) {
	t.Setenv(APITokenEnv, "")
	f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts/{{ record.email | url_encode }}",
			Body: `{"email": {{ record.email | json }}}`}})
	rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("token refused for " + req.Path + " " + string(req.Body)))
		return true
	})
	run := f.run(controlplane.RunFailed, RunOptions{})
	keys := []string{"ada lovelace@example.com", "a/b@example.com", "zoë@例え.jp"}
	leaked := func(s string) string {
		for _, k := range keys {
			for _, form := range append([]string{k}, webhook.URLForms(k)...) {
				if strings.Contains(s, form) {
					return form
				}
			}
		}
		return ""
	}
	if leaked(run.Error) == "" {
		t.Fatalf("the run's error quotes no key while the sync sends it: %s", run.Error)
	}
	f.sync.Request = hashedRequests
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	shown, err := StoredRunsShown(f.ctx, f.store, []*controlplane.Run{run})
	if err != nil {
		t.Fatal(err)
	}
	if k := leaked(shown[0].Error); k != "" {
		t.Errorf("the run's error is shown with the key %q: %s", k, shown[0].Error)
	}
	if !strings.Contains(shown[0].Error, "(withheld)") {
		t.Errorf("the run's error is shown without its key withheld: %s", shown[0].Error)
	}
	// The delivery log as `deliveries` and `records --key` show it: a request the 401 stopped
	// was recorded with the run's error, which quotes another request's key.
	why, err := StoredKeyWithheld(f.ctx, f.store, f.sync)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := f.store.ListDeliveries(f.ctx, controlplane.DeliveryFilter{SyncID: f.sync.ID, Keys: true})
	if err == nil {
		err = StoredDeliveriesShown(f.ctx, f.store, why, ds)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d = ShownDelivery(why, d); leaked(d.Body) != "" || leaked(d.Error) != "" {
			t.Errorf("a delivery shown with a key: body %q, error %q", d.Body, d.Error)
		}
	}
	// The status page's runs and failed requests, on the overview and the sync's page.
	for _, path := range []string{"/", "/syncs/" + strconv.FormatInt(f.sync.ID, 10)} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = "127.0.0.1"
		rec := httptest.NewRecorder()
		Handler(f.store, nil, nil).ServeHTTP(rec, req)
		body := html.UnescapeString(rec.Body.String())
		if k := leaked(body); rec.Code != http.StatusOK || k != "" {
			i := strings.Index(body, k)
			t.Errorf("the status page %s: %d, with the key %q: …%s…", path, rec.Code, k, body[max(0, i-300):min(len(body), i+100)])
		}
	}
}
