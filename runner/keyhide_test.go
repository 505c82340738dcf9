package runner

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// KeyWithheld with a request spec: the key counts as sent when a request of any operation carries
// it whole (in any letter case, URL- or JSON-escaped), in any body format, record or batch mode;
// not when the templates hash it, send a part of it or never name it.
func TestKeyWithheldByRequests(t *testing.T) {
	cols := []controlplane.Column{{Name: "email", Type: "text"}, {Name: "id", Type: "int4"}, {Name: "name", Type: "text"}}
	rec := func(r controlplane.OperationRequest) *controlplane.RequestSpec {
		return &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord, New: &r}
	}
	batch := func(r controlplane.OperationRequest) *controlplane.RequestSpec {
		return &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch, New: &r}
	}
	hashed := controlplane.Mapping{From: "email", To: "email_sha256", Hash: "sha256"}
	for _, tc := range []struct {
		name     string
		key      string
		spec     *controlplane.RequestSpec
		mappings []controlplane.Mapping
		behavior string
		withheld bool
	}{
		{name: "body as it is", spec: rec(controlplane.OperationRequest{Method: "POST", Body: `{"e": {{ record.email | json }}}`})},
		{name: "path url_encode", spec: rec(controlplane.OperationRequest{Method: "PUT", Path: "/m/{{ record.email | url_encode }}"})},
		{name: "query", spec: rec(controlplane.OperationRequest{Method: "PUT", Path: "/m?e={{ record.email | url_encode }}"})},
		{name: "upcase append", spec: rec(controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw,
			Body: `{{ record.email | upcase | append: ";" }}`})},
		{name: "form", spec: rec(controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatForm})},
		{name: "ndjson", spec: batch(controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatNDJSON})},
		{name: "envelope", spec: batch(controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatEnvelope})},
		{name: "batch whole records", spec: batch(controlplane.OperationRequest{Method: "POST", Body: `{{ records | json }}`})},
		{name: "only the delete sends it", behavior: controlplane.BehaviorMirror, spec: &controlplane.RequestSpec{
			Mode:    controlplane.RequestModeRecord,
			New:     &controlplane.OperationRequest{Method: "POST", Body: `{"h": {{ record.email | sha256 | json }}}`},
			Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: "/m/{{ record.email | url_encode }}"}}},
		{name: "numeric key with arithmetic", key: "id", spec: rec(controlplane.OperationRequest{Method: "POST",
			Body: `{"id": {{ record.id }}, "next": {{ record.id | plus: 1 }}}`})},

		{name: "sha256", withheld: true, spec: rec(controlplane.OperationRequest{Method: "POST",
			Body: `{"h": {{ record.email | downcase | sha256 | json }}}`})},
		{name: "path sha256", withheld: true, spec: rec(controlplane.OperationRequest{Method: "PUT", Path: "/m/{{ record.email | sha256 }}"})},
		{name: "a part", withheld: true, spec: rec(controlplane.OperationRequest{Method: "POST",
			Body: `{"u": {{ record.email | split: "@" | first | json }}}`})},
		{name: "truncated", withheld: true, spec: rec(controlplane.OperationRequest{Method: "POST",
			Body: `{"u": {{ record.email | slice: 0, 5 | json }}}`})},
		{name: "never named", withheld: true, spec: rec(controlplane.OperationRequest{Method: "POST", Body: `{"n": {{ record.name | json }}}`})},
		{name: "no body", withheld: true, spec: rec(controlplane.OperationRequest{Method: "POST", Path: "/ping"})},
		{name: "hash mapping sent whole", withheld: true, mappings: []controlplane.Mapping{hashed},
			spec: batch(controlplane.OperationRequest{Method: "POST", Body: `{{ records | json }}`})},
		{name: "hash mapping, form", withheld: true, mappings: []controlplane.Mapping{hashed, {From: "name", To: "name"}},
			spec: rec(controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatForm})},
		{name: "template error", withheld: true, spec: rec(controlplane.OperationRequest{Method: "POST",
			Body: `{"e": {{ record.email | plus: 1 }}}`})},
	} {
		y := &controlplane.Sync{Name: "s", Behavior: tc.behavior, PrimaryKey: tc.key, Mappings: tc.mappings, Request: tc.spec}
		if y.Behavior == "" {
			y.Behavior = controlplane.BehaviorUpdateOrCreate
		}
		if y.PrimaryKey == "" {
			y.PrimaryKey = "email"
		}
		if why := KeyWithheld(y, cols, controlplane.KindPostgres); (why != "") != tc.withheld {
			t.Errorf("%s: withheld %q, want withheld %v", tc.name, why, tc.withheld)
		}
	}
}

// Why a record's request was not built quotes a value given to a filter cut to its first 64
// bytes (can't convert string(…) to type time.Time): for a key longer than that, its start is
// withheld as the whole key is.
func TestWithholdTextHidesTheStartOfALongKey(t *testing.T) {
	for _, key := range []string{
		"customer-4f1c2e9a8b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f@example.com",
		"ünïcödé-ķëŷ-" + strings.Repeat("ž", 40) + "@example.com", // cut inside a character
	} {
		rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw,
				Body: `{{ record.email | sha256 }} {{ record.email | date: "%Y" }}`}}, webhook.Vars{SyncName: "s"})
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := json.Marshal(map[string]string{"email": key})
		_, err = rs.Build(nil, &webhook.Meta{}, controlplane.OpNew, [][]byte{rec})
		if err == nil {
			t.Fatal("built, want the date filter's error")
		}
		msg := withholdText(err.Error(), key)
		if strings.Contains(msg, key[:16]) || !strings.Contains(msg, withheldValue) {
			t.Errorf("%q, want the key's start withheld", msg)
		}
	}
}

// withholdText: a key of fewer than 8 bytes is withheld where it stands as a value (quoted in any
// way, a JSON number, after "=" or ":", a path segment), not inside other words and numbers.
func TestWithholdTextShortKey(t *testing.T) {
	for _, c := range []struct{ msg, key, want string }{
		{`{"error":"user 42 invalid","id":42}`, "42", `{"error":"user 42 invalid","id":(withheld)}`},
		{`{"id": 42, "n": 420}`, "42", `{"id": (withheld), "n": 420}`},
		{`"{\"email\":\"ab@x.io\"}"`, "ab@x.io", `"{\"email\":\"(withheld)\"}"`},
		{`response body: "{\"id\":\"ab12\",\"ok\":false}"`, "ab12", `response body: "{\"id\":\"(withheld)\",\"ok\":false}"`},
		{`id=ab12&x=ab123`, "ab12", `id=(withheld)&x=ab123`},
		{`no such user: ab12`, "ab12", `no such user: (withheld)`},
		{`GET /users/ab12 answered 404`, "ab12", `GET /users/(withheld) answered 404`},
		{`key 'ab12' taken`, "ab12", `key '(withheld)' taken`},
		{`HTTP 422, 1042 records`, "42", `HTTP 422, 1042 records`},
		{`contact ab12 refused`, "ab12", `contact ab12 refused`},
		// Numbers a short numeric key is a part of, not the key.
		{`{"retry_at":"2024-05-06T12:30:45Z"}`, "30", `{"retry_at":"2024-05-06T12:30:45Z"}`},
		{`{"retry_at":"2024-05-06T12:30:45Z"}`, "45", `{"retry_at":"2024-05-06T12:30:45Z"}`},
		{`dial tcp 10.0.0.1:443: connect: connection refused`, "443", `dial tcp 10.0.0.1:443: connect: connection refused`},
		{`dial tcp [::1]:8080: i/o timeout`, "1", `dial tcp [::1]:8080: i/o timeout`},
		{`dial tcp [::1]:8080: i/o timeout`, "8080", `dial tcp [::1]:8080: i/o timeout`},
		{`<p>HTTP/1.1 502 Bad Gateway</p>`, "1", `<p>HTTP/1.1 502 Bad Gateway</p>`},
		{`{"price":1.5}`, "1", `{"price":1.5}`},
		{`due 2024/12/25`, "12", `due 2024/12/25`},
		{`due 2024/12/25`, "25", `due 2024/12/25`},
		{`{"id":30,"at":"12:30"}`, "30", `{"id":(withheld),"at":"12:30"}`},
		{`GET /users/30 answered 404`, "30", `GET /users/(withheld) answered 404`},
		{`GET /v1/30 answered 404`, "30", `GET /v1/(withheld) answered 404`},
		{`no contact id:v2:30`, "30", `no contact id:v2:(withheld)`},
		{`id: 30, x=30.`, "30", `id: (withheld), x=(withheld).`},
	} {
		if got := withholdText(c.msg, c.key); got != c.want {
			t.Errorf("withholdText(%q, %q) = %q, want %q", c.msg, c.key, got, c.want)
		}
	}
}

// withholdText finds a key as the JSON encoders of other languages write it: non-ASCII as \u
// escapes (Python's json.dumps, PHP's json_encode, in either case of hex) and "/" as "\/" (PHP).
func TestWithholdTextOtherJSONEncoders(t *testing.T) {
	for _, c := range []struct{ msg, key, want string }{
		{`{"error":"zo\u00eb@\u4f8b\u3048.jp refused"}`, "zoë@例え.jp", `{"error":"(withheld) refused"}`},
		{`{"error":"ZO\u00EB@\u4F8B\u3048.JP"}`, "ZOë@例え.JP", `{"error":"(withheld)"}`},
		{`{"email":"a\/b@example.com"}`, "a/b@example.com", `{"email":"(withheld)"}`},
		{`{"email":"a\/\u00e9"}`, "a/é", `{"email":"(withheld)"}`},
		{`{"k":"\ud83d\ude00x"}`, "😀x", `{"k":"(withheld)"}`},
	} {
		if got := withholdText(c.msg, c.key); got != c.want {
			t.Errorf("withholdText(%q, %q) = %q, want %q", c.msg, c.key, got, c.want)
		}
	}
}

// withholdText finds a key as the runner writes it into a request's URL or form body, which an
// endpoint echoes: url_encode's escapes (in either case of hex, for a long key), a form's "+" for
// a space, a path's escapes of a value rendered without url_encode; a short key where it stands.
func TestWithholdTextURLEncoded(t *testing.T) {
	for _, c := range []struct{ msg, key, want string }{
		{`Cannot POST /api/contacts/ada%20lovelace%40example.com`, "ada lovelace@example.com", `Cannot POST /api/contacts/(withheld)`},
		{`email=ada+lovelace%40example.com&name=Ada`, "ada lovelace@example.com", `email=(withheld)&name=Ada`},
		{`/u/zo%c3%ab@x.io not found`, "zoë@x.io", `/u/(withheld) not found`},
		{`/u/zo%C3%AB%40%E4%BE%8B%E3%81%88.jp`, "zoë@例え.jp", `/u/(withheld)`},
		{`GET /users/a%2Bb answered 404`, "a+b", `GET /users/(withheld) answered 404`},
		{`q=a+b&x=1`, "a b", `q=(withheld)&x=1`},
		{`GET /users/%2B15551234567 answered 404`, "+15551234567", `GET /users/(withheld) answered 404`},
		{`{"phone":"+15551234567"}`, "+15551234567", `{"phone":"(withheld)"}`},
		{`path /u/%2B15551234567890123456…`, "+15551234567890123456789", `path /u/(withheld)…`},
		{`{"path":"/users/a%2Fb%40example.com"}`, "a/b@example.com", `{"path":"/users/(withheld)"}`},
		// A key whose parts are split by bytes a URL escapes, as each form writes it and cut.
		{`GET /c/%2B1%20555%20010%200042 answered 404`, "+1 555 010 0042", `GET /c/(withheld) answered 404`},
		{`phone=%2b1+555+010+0042&x=1`, "+1 555 010 0042", `phone=(withheld)&x=1`},
		{`/c/+1%20555%20010%200042`, "+1 555 010 0042", `/c/(withheld)`},
		{`/c/%2B1%20555%20010… (cut)`, "+1 555 010 0042", `/c/(withheld)… (cut)`},
		{`{"name":"ACME Corp 42"} /c/ACME%20Corp%2042`, "ACME Corp 42", `{"name":"(withheld)"} /c/(withheld)`},
		{`/c/%20%20%20%20%20%20%20%20x`, "        x", `/c/(withheld)`},
		// A short key as an endpoint that escapes the URL again writes it, in lower-case hex.
		{`Cannot POST /u/Jos%c3%a9`, "José", `Cannot POST /u/(withheld)`},
		{`{"path":"/p/%e2%82%ac5"}`, "€5", `{"path":"/p/(withheld)"}`},
		// A "'" HTML-escaped by an answer in HTML, which echoes the path (Express's 404 page).
		{`<pre>Cannot POST /contacts/o&#39;brien@example.com</pre>`, "o'brien@example.com", `<pre>Cannot POST /contacts/(withheld)</pre>`},
		{`Not found: /contacts/o&#x27;brien@example.com`, "o'brien@example.com", `Not found: /contacts/(withheld)`},
		{`<pre>Cannot POST /c/&#39;&#39;&#39;&#39;0123456789…</pre>`, "''''0123456789abcdef", `<pre>Cannot POST /c/(withheld)…</pre>`},
		{`<pre>Cannot POST /c/it&#39;s</pre>`, "it's", `<pre>Cannot POST /c/(withheld)</pre>`},
		{`Cannot POST /c/&#x27;abcdefghij…`, "'abcdefghijklmnop", `Cannot POST /c/(withheld)…`},
		// "&", "<", ">" and '"' HTML-escaped, as Go's html, npm's escape-html and Python's html write them.
		{`<p>No contact Tom &amp; Jerry &lt;tj@example.com&gt;</p>`, "Tom & Jerry <tj@example.com>", `<p>No contact (withheld)</p>`},
		{`<p>unknown &quot;abcdefgh&quot;</p>`, `"abcdefgh"`, `<p>unknown (withheld)</p>`},
		{`<p>id=&quot;ab&quot;</p>`, `"ab"`, `<p>id=(withheld)</p>`},
		{`<p>unknown &#34;abcdefgh&#34; &#39;</p>`, `"abcdefgh"`, `<p>unknown (withheld) &#39;</p>`},
		{`<p>unknown &quot;&quot;&quot;&quot;abcdefghij…</p>`, `""""abcdefghijklmnop`, `<p>unknown (withheld)…</p>`},
		{`<p>R&amp;D-000042</p>`, "R&D-000042", `<p>(withheld)</p>`},
		// A key Go's or a JSON encoder's quoting escapes, its start cut, in the form that writes
		// each of its escaped bytes longest before its first part.
		{`{"e":"\u00e9\u00e9\u00e9\u00e9abcdefgh…"}`, "éééé" + "abcdefghijklmnop", `{"e":"(withheld)…"}`},
		{`{"e":"\u003c\u003cabcdefgh…"}`, "<<abcdefghijklmnop", `{"e":"(withheld)…"}`},
		{`/u/Zo%C3%AB-000042%40exa…`, "Zoë-000042@example.com", `/u/(withheld)…`},
		{`{"e":"acct\/000042"}`, "acct/000042", `{"e":"(withheld)"}`},
	} {
		if got := withholdText(c.msg, c.key); got != c.want {
			t.Errorf("withholdText(%q, %q) = %q, want %q", c.msg, c.key, got, c.want)
		}
	}
}

// shownSamples withholds the keys of samples recorded while the sync still sent them, from the
// key and the record, keeping valid JSON (a short numeric key in a record makes it text).
func TestShownSamplesWithholdsRecordedKeys(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`[{"reason":"duplicate key","key":"bob@example.com","record":{"email":"bob@example.com","n":"bob@example.com!"}}]`,
			`[{"reason":"duplicate key","key":"(withheld)","record":{"email":"(withheld)","n":"(withheld)!"}}]`},
		{`[{"reason":"r","key":"42","record":{"id":42,"n":420}}]`,
			`[{"reason":"r","key":"(withheld)","record":{"id":"(withheld)","n":420}}]`},
		{`[{"reason":"r","key":null}]`, `[{"reason":"r","key":null}]`},
		{`[{"reason":"r","key":"(withheld)"}]`, `[{"reason":"r","key":"(withheld)"}]`},
	} {
		if got := string(shownSamples(json.RawMessage(c.in))); got != c.want {
			t.Errorf("shownSamples(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// A request's answer is looked through for each of the request's keys (withholdKeys): for a
// batch of thousands, a key the answer does not hold costs no allocation (a search), not its
// forms' (keyForms). Measured by allocations, not time.
func TestWithholdKeysAbsentKeysAllocateNothing(t *testing.T) {
	keys := make([]string, 1000)
	for i := range keys {
		switch i % 3 {
		case 0:
			keys[i] = fmt.Sprintf("user-%06d@example.com", i)
		case 1:
			keys[i] = fmt.Sprint(i) // short keys too
		default:
			keys[i] = fmt.Sprintf("+1555%07d", i) // a phone number, whose "+" a URL escapes
		}
	}
	answer := strings.Repeat(`{"error":"invalid","field":"email"},`, 30)
	if allocs := testing.AllocsPerRun(5, func() { withholdKeys(answer, keys) }); allocs != 0 {
		t.Errorf("withholdKeys of an answer that holds none of %d keys: %v allocations, want 0", len(keys), allocs)
	}
	// Keys whose first part is a byte or a word most answers hold, before a byte a URL escapes.
	spaced := make([]string, 1000)
	for i := range spaced {
		spaced[i] = fmt.Sprintf("+1 555 %03d %04d", i%7, i)
		if i%2 == 1 {
			spaced[i] = fmt.Sprintf("ACME Corp %06d", i)
		}
	}
	answer = `{"error":"ACME rejected 1 record","code":1001,"line":1}`
	if allocs := testing.AllocsPerRun(5, func() { withholdKeys(answer, spaced) }); allocs != 0 {
		t.Errorf("withholdKeys of an answer that holds none of %d keys split by spaces: %v allocations, want 0", len(spaced), allocs)
	}
	// Keys that Go's or a JSON encoder's quoting escapes: non-ASCII, "/", "<", "&", a quote.
	escaped := make([]string, 1000)
	for i := range escaped {
		escaped[i] = []string{"Zoë-%06d@example.com", "acct/%06d", "<%06d>", "a&b %06d", `say "%06d"`}[i%5]
		escaped[i] = fmt.Sprintf(escaped[i], i)
	}
	if allocs := testing.AllocsPerRun(5, func() { withholdKeys(answer, escaped) }); allocs != 0 {
		t.Errorf("withholdKeys of an answer that holds none of %d keys quoting escapes: %v allocations, want 0", len(escaped), allocs)
	}
	// Still withheld where it stands.
	if got := withholdKeys(`{"e":"user-000042@example.com","n":7}`, append(keys, "7")); got != `{"e":"(withheld)","n":(withheld)}` {
		t.Errorf("withholdKeys: %s", got)
	}
}

// "(withheld)" in a text, put there for a key or for another key of the request, is not taken
// for a key that is a part of it, or that it starts or ends: it stays "(withheld)".
func TestWithholdTextKeepsWithheldWhole(t *testing.T) {
	for _, c := range []struct{ msg, want string }{
		{`the key "withheld" exists; (withheld)`, `the key "(withheld)" exists; (withheld)`},
		{`members withheld, user-000001@example.com`, `members (withheld), (withheld)`},
		{`{"e":"(withheld)","f":"withheld"}`, `{"e":"(withheld)","f":"(withheld)"}`},
	} {
		if got := withholdKeys(c.msg, []string{"user-000001@example.com", "withheld"}); got != c.want {
			t.Errorf("withholdKeys(%q):\n got %s\nwant %s", c.msg, got, c.want)
		}
	}
	if got := withholdText(`(withheld) was refused`, "held) was"); got != `(withheld) was refused` {
		t.Errorf("a key that a part of \"(withheld)\" starts: %s", got)
	}
}

// An endpoint may echo an e-mail address as it holds it, downcased or upcased: a key of 8 bytes
// or more is withheld in any ASCII letter case (a shorter one only as it is).
func TestWithholdTextKeyInAnotherCase(t *testing.T) {
	for _, c := range []struct{ msg, key, want string }{
		{`{"error":"contact alice.smith@example.com is unsubscribed"}`, "Alice.Smith@Example.com",
			`{"error":"contact (withheld) is unsubscribed"}`},
		{`{"error":"ALICE.SMITH@EXAMPLE.COM"}`, "alice.smith@example.com", `{"error":"(withheld)"}`},
		{`{"e":"zoë@exAMPLE.com"}`, "Zoë@example.com", `{"e":"(withheld)"}`},
		{`{"id":"Ab12"}`, "ab12", `{"id":"Ab12"}`},
	} {
		if got := withholdText(c.msg, c.key); got != c.want {
			t.Errorf("withholdText(%q, %q) = %q, want %q", c.msg, c.key, got, c.want)
		}
	}
	for _, c := range []struct {
		msg, k string
		want   int
	}{{"xxAbC", "abc", 2}, {"ab", "abc", -1}, {"aXbABC", "abc", 3}, {"a-B", "A-b", 0}, {"12-3", "-3", 2}, {"", "a", -1}} {
		if got := indexFold(c.msg, c.k); got != c.want {
			t.Errorf("indexFold(%q, %q) = %d, want %d", c.msg, c.k, got, c.want)
		}
	}
}

// BenchmarkWithholdKeys withholds the 10,000 keys of a batch from an answer that holds none of
// them: the delivery log does so for every failed request of a withholding sync. Answers are cut
// at 1 KiB (`test`'s at 4 KiB); 1 MiB shows how it grows with the text.
func BenchmarkWithholdKeys(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		body := strings.Repeat(`{"error":"invalid","field":"email"},`, size/36+1)[:size]
		for _, kind := range []string{"email", "integer"} {
			keys := make([]string, 10000)
			for i := range keys {
				keys[i] = fmt.Sprint(i)
				if kind == "email" {
					keys[i] = fmt.Sprintf("User-%06d@Example.com", i)
				}
			}
			b.Run(fmt.Sprintf("%s/%dB", kind, size), func(b *testing.B) {
				for range b.N {
					withholdKeys(body, keys)
				}
			})
		}
	}
}

// TestStoredKeyWithheldWithoutTheSecretKey: the commands that show runs (runs, deliveries,
// records) run without BACKFLOW_SECRET_KEY, and decide whether a sync withholds its key as its
// runs do, with its model's connection's kind, which picks the sample values its requests are
// tried with (a Postgres timestamp reads "2024-01-02 03:04:05", one of unknown kind
// "2024-01-02T03:04:05Z").
func TestStoredKeyWithheldWithoutTheSecretKey(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.PrimaryKey = "email"
	f.sync.Request = &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord, New: &controlplane.OperationRequest{Method: "POST",
		Body: `{% if record.updated_at contains "T" %}{{ record.email | json }}{% else %}{{ record.email | sha256 | json }}{% endif %}`}}
	f.model.Columns = []controlplane.Column{{Name: "id", Type: "int8"}, {Name: "email", Type: "text"}, {Name: "updated_at", Type: "timestamp"}}
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	want := KeyWithheld(f.sync, f.model.Columns, controlplane.KindPostgres)
	if want == "" {
		t.Fatal("the sync's runs send its key: the test needs one that withholds it")
	}
	for name, store := range map[string]*controlplane.Store{"with the key": f.store, "without it": controlplane.New(f.store.Pool(), nil)} {
		if why, err := StoredKeyWithheld(f.ctx, store, f.sync); err != nil || why != want {
			t.Errorf("%s: withheld %q, error %v; want %q, as its runs decide", name, why, err, want)
		}
	}
}
