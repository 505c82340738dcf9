package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// A sync keyed by e-mail address whose request templates only send it hashed (an ad audience)
// shows its keys nowhere its preview would not: `test`'s record, `deliveries`' first and last
// keys, `runs show`'s rejected records and `records`' other requests show "(withheld)" instead,
// as its dry run does (runner.KeyWithheld).
func TestKeysWithheldFromListings(t *testing.T) {
	t.Parallel()
	h := webhooktest.New(t)
	h.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, `{"error":"audience full"}`)
		return true
	})
	w := newWorld(t, 3, h.URL, 10)
	w.sync.PrimaryKey = "email"
	w.sync.Request = &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/audience",
			Body: `{"members": [{% for r in records %}{% unless forloop.first %},{% endunless %}` +
				`{{ r.email | downcase | sha256 | json }}{% endfor %}]}`}}
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	const name = "Active users to webhook"
	noKeys := func(what, out string) {
		t.Helper()
		if strings.Contains(out, "@example.com") || !strings.Contains(out, "(withheld)") {
			t.Errorf("%s shows the keys, or not \"(withheld)\":\n%s", what, out)
		}
	}

	code, out, errOut := w.runCmd("test", name)
	if code == 0 || !strings.Contains(out, "status: 422") {
		t.Fatalf("test: exit %d\n%s\n%s", code, out, errOut)
	}
	noKeys("test", out)

	if code, out, errOut := w.runCmd("sync", name); !strings.Contains(out, "rejected") {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 1)
	if err != nil || len(runs) != 1 || runs[0].Counts.Rejected != 3 {
		t.Fatalf("runs: %+v, %v; want one run with 3 records rejected", runs, err)
	}
	for _, args := range [][]string{
		{"deliveries", name}, {"deliveries", name, "--json"},
		{"runs", "show", fmt.Sprint(runs[0].ID)}, {"runs", "show", fmt.Sprint(runs[0].ID), "--json"},
	} {
		code, out, errOut := w.runCmd(args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", args, code, out, errOut)
		}
		noKeys(strings.Join(args, " "), out)
	}

	// records --key: the key asked about is shown, not the others its requests carried.
	code, out, errOut = w.runCmd("records", name, "--key", "user2@example.com", "--json")
	if code != 0 {
		t.Fatalf("records: exit %d\n%s\n%s", code, out, errOut)
	}
	var a struct {
		Key      string `json:"key"`
		Requests []struct {
			FirstKey string `json:"first_key"`
			LastKey  string `json:"last_key"`
		} `json:"requests"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if a.Key != "user2@example.com" || len(a.Requests) == 0 {
		t.Fatalf("records --key user2@example.com: %s", out)
	}
	for _, r := range a.Requests {
		if r.FirstKey != "(withheld)" || r.LastKey != "(withheld)" {
			t.Errorf("records --key user2@example.com: a request's keys %q and %q, want them withheld", r.FirstKey, r.LastKey)
		}
	}
}

// A rejection recorded while the sync still sent its key as it is (why a record's request was not
// built quotes what a template was given: its key) is shown without the key once the sync sends it
// only hashed: the sync's definition now decides, for the rejection's text as for its key.
func TestRejectionTextWithheldAfterTheSyncHashesItsKey(t *testing.T) {
	t.Parallel()
	h := webhooktest.New(t)
	w := newWorld(t, 3, h.URL, 10)
	w.sync.PrimaryKey = "email"
	w.sync.Request = &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts",
			Body: `{"e": {{ record.email | json }}{% if record.email contains "user" %}, "d": {{ record.email | date: "%Y" | json }}{% endif %}}`}}
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	// A key twice: the run's invalid samples quote it, and the record.
	w.exec(`INSERT INTO users (unique_id, email, first_name) VALUES (4, 'user1@example.com', 'Again')`)
	const name = "Active users to webhook"
	if code, out, errOut := w.runCmd("sync", name); !strings.Contains(out, "rejected") {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 1)
	if err != nil || len(runs) != 1 || runs[0].Counts.Rejected != 2 || !strings.Contains(string(runs[0].InvalidSamples), "user1@example.com") {
		t.Fatalf("runs: %+v, %v; want one run with 2 records rejected, the key twice sampled", runs, err)
	}
	w.sync.Request.New.Body = `{"h": {{ record.email | downcase | sha256 | json }}}`
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"runs", "show", fmt.Sprint(runs[0].ID)}, {"runs", "show", fmt.Sprint(runs[0].ID), "--json"},
		{"runs", name, "--json"}} {
		code, out, errOut := w.runCmd(args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", args, code, out, errOut)
		}
		if strings.Contains(out, "@example.com") || !strings.Contains(out, "(withheld)") || args[1] == "show" && !strings.Contains(out, "date") {
			t.Errorf("%s shows the keys, or not \"(withheld)\", or not why:\n%s", strings.Join(args, " "), out)
		}
	}
}

// A sync whose cursor is its primary key column (an append-only id), which it sends only hashed:
// an incremental run reads from the highest key an earlier run read. The run's record keeps that
// bound (the next run's plan reads it back), but `sync`, `runs`, `runs show` (text and --json)
// and the log lines show it "(withheld)", as the sync's dry run does.
func TestCursorThatIsTheKeyWithheldFromRuns(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 3, h.URL, 10)
	w.sync.Mappings = []controlplane.Mapping{{From: "unique_id", To: "id_hash", Hash: "sha256"}, {From: "email", To: "email"}}
	w.sync.Cursor = "unique_id"
	m, err := w.store.GetModel(w.ctx, w.sync.ModelID)
	if err != nil {
		t.Fatal(err)
	}
	m.Columns = []controlplane.Column{{Name: "unique_id", Type: "bigint"}, {Name: "email", Type: "text"},
		{Name: "first_name", Type: "text"}, {Name: "version", Type: "integer"}}
	if err := w.store.UpdateModel(w.ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	const name, key = "Active users to webhook", "48151623"
	w.exec(`INSERT INTO users (unique_id, email, first_name) VALUES (` + key + `, 'k@example.com', 'K')`)
	if code, out, errOut := w.runCmd("sync", name); code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	w.exec(`INSERT INTO users (unique_id, email, first_name) VALUES (` + key + `9, 'l@example.com', 'L')`)
	code, out, errOut := w.runCmd("sync", name)
	if code != 0 || !strings.Contains(out+errOut, "incremental") {
		t.Fatalf("sync: exit %d, want an incremental run\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, key) || !strings.Contains(out, "(withheld)") {
		t.Errorf("sync shows the key it read from, or not \"(withheld)\":\n%s\n%s", out, errOut)
	}
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 1)
	if err != nil || len(runs) != 1 || runs[0].ReadFrom != key {
		t.Fatalf("runs: %+v, %v; want the last one recorded as read from %s", runs, err, key)
	}
	for _, args := range [][]string{
		{"runs", name}, {"runs", name, "--json"}, {"runs", "--json"},
		{"runs", "show", fmt.Sprint(runs[0].ID)}, {"runs", "show", fmt.Sprint(runs[0].ID), "--json"},
	} {
		code, out, errOut := w.runCmd(args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", args, code, out, errOut)
		}
		if strings.Contains(out+errOut, key) {
			t.Errorf("%s shows the key the run read from:\n%s\n%s", strings.Join(args, " "), out, errOut)
		}
	}
}

// The delivery log's answers recorded while the sync still sent its key as it is (an endpoint
// that echoes it) are shown without the key once the sync sends it only hashed, as its
// rejections are: the sync's definition now decides.
func TestDeliveryAnswersWithheldAfterTheSyncHashesItsKey(t *testing.T) {
	t.Parallel()
	h := webhooktest.New(t)
	h.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		var body struct{ E string }
		_ = json.Unmarshal(req.Body, &body)
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, `{"error":"%s is not a customer"}`, body.E)
		return true
	})
	w := newWorld(t, 3, h.URL, 10)
	w.sync.PrimaryKey = "email"
	w.sync.Request = &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: `{"e": {{ record.email | json }}}`}}
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	const name = "Active users to webhook"
	if code, out, errOut := w.runCmd("sync", name); !strings.Contains(out, "rejected") {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	w.sync.Request.New.Body = `{"h": {{ record.email | downcase | sha256 | json }}}`
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"deliveries", name}, {"deliveries", name, "--json"}} {
		code, out, errOut := w.runCmd(args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", args, code, out, errOut)
		}
		if strings.Contains(out, "@example.com") || !strings.Contains(out, "is not a customer") {
			t.Errorf("%s shows the keys, or not the answers:\n%s", strings.Join(args, " "), out)
		}
	}
}

// `records --key`'s text shows the answers of the requests that carried the key as its --json
// does: without the other keys of those requests (runner.ShownDelivery), here those of a batch
// answered while the sync still sent its keys as they are, whose answer quotes them all.
func TestRecordTextWithholdsOtherKeysOfItsRequests(t *testing.T) {
	t.Parallel()
	w, name := batchSentThenHashed(t, 3)
	for _, args := range [][]string{{"records", name, "--key", "user2@example.com"}, {"records", name, "--key", "user2@example.com", "--json"}} {
		code, out, errOut := w.runCmd(args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", args, code, out, errOut)
		}
		if !strings.Contains(out, "unknown members") {
			t.Fatalf("%s shows no answer:\n%s", strings.Join(args, " "), out)
		}
		for _, other := range []string{"user1@example.com", "user3@example.com"} {
			if strings.Contains(out, other) {
				t.Errorf("%s shows another key of its requests, %s:\n%s", strings.Join(args, " "), other, out)
			}
		}
	}
}

// The answer to a batch recorded while the sync still sent its keys as they are quotes the keys
// between its first and its last too: `deliveries` (text, --json) and `records --key` withhold
// every key of the request from it, not only its first and last.
func TestDeliveryAnswersWithholdEveryKeyOfTheRequest(t *testing.T) {
	t.Parallel()
	w, name := batchSentThenHashed(t, 5)
	for _, args := range [][]string{
		{"deliveries", name}, {"deliveries", name, "--json"},
		{"records", name, "--key", "user2@example.com"}, {"records", name, "--key", "user2@example.com", "--json"},
	} {
		code, out, errOut := w.runCmd(args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", args, code, out, errOut)
		}
		if !strings.Contains(out, "unknown members") {
			t.Fatalf("%s shows no answer:\n%s", strings.Join(args, " "), out)
		}
		for _, other := range []string{"user1@", "user3@", "user4@", "user5@"} {
			if strings.Contains(out, other) {
				t.Errorf("%s shows a key of its requests, %sexample.com:\n%s", strings.Join(args, " "), other, out)
			}
		}
	}
}

// batchSentThenHashed is a world of n users whose sync sends their emails, its key, as they are
// in one batch to a receiver that answers 422 quoting the batch's members; it has run once (all
// rejected), and its template now hashes them. It returns the world and the sync's name.
func batchSentThenHashed(t *testing.T, n int) (*world, string) {
	t.Helper()
	h := webhooktest.New(t)
	h.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
		var body struct{ Members []string }
		_ = json.Unmarshal(req.Body, &body)
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, `{"error":"unknown members: %s"}`, strings.Join(body.Members, ", "))
		return true
	})
	w := newWorld(t, n, h.URL, 10)
	w.sync.PrimaryKey = "email"
	w.sync.Request = &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/audience",
			Body: `{"members": [{% for r in records %}{% unless forloop.first %},{% endunless %}` +
				`{{ r.email | json }}{% endfor %}]}`}}
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	const name = "Active users to webhook"
	if code, out, errOut := w.runCmd("sync", name); !strings.Contains(out, "rejected") {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	w.sync.Request.New.Body = `{"members": [{% for r in records %}{% unless forloop.first %},{% endunless %}` +
		`{{ r.email | downcase | sha256 | json }}{% endfor %}]}`
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	return w, name
}
