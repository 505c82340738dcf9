package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

const contactTemplate = `{"email": {{ record.email | json }}, "name": {{ record.first_name | json }}}`

const (
	batchChanged = `{"items": {{ records | json }}}`
	batchDeleted = `{"ids": [{% for r in records %}{{ r.unique_id | json }}{% unless forloop.last %}, {% endunless %}{% endfor %}]}`
)

// requestBlock is a mirror sync's request block with the contact template.
func requestBlock(extra string) string {
	return fmt.Sprintf(`behavior    = "mirror"
  primary_key = "unique_id"
  request = {
    new     = { method = "POST", path = "/contacts", body = %s }
    changed = { method = "PATCH", path = "/contacts/{{ record.unique_id | url_encode }}", body = %s, headers = { "X-Source" = "backflow" } }
    deleted = { method = "DELETE", path = "/contacts/{{ record.unique_id | url_encode }}" }
    %s
  }`, hclString(contactTemplate), hclString(contactTemplate), extra)
}

func TestAccSyncRequest(t *testing.T) {
	e := newTestEnv(t)
	hook := webhooktest.New(t)
	base := e.syncBase(hook.URL)
	const addr = "backflow_sync.s"
	stored := func(want *controlplane.RequestSpec) resource.TestCheckFunc {
		return func(*terraform.State) error {
			var raw []byte
			if err := e.cp.QueryRow(t.Context(), `SELECT request FROM backflow.syncs`).Scan(&raw); err != nil {
				return err
			}
			var got *controlplane.RequestSpec
			if raw != nil {
				if err := json.Unmarshal(raw, &got); err != nil {
					return err
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				return fmt.Errorf("stored request (-want +got):\n%s", diff)
			}
			return nil
		}
	}
	spec := &controlplane.RequestSpec{
		Mode: controlplane.RequestModeRecord,
		New:  &controlplane.OperationRequest{Method: "POST", Path: "/contacts", Body: contactTemplate},
		Changed: &controlplane.OperationRequest{Method: "PATCH", Path: "/contacts/{{ record.unique_id | url_encode }}",
			Body: contactTemplate, Headers: map[string]string{"X-Source": "backflow"}},
		Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.unique_id | url_encode }}"},
	}
	batch := *spec
	batch.Mode, batch.TestOnSave = controlplane.RequestModeBatch, true
	batch.New = &controlplane.OperationRequest{Method: "POST", Path: "/bulk", Format: controlplane.FormatNDJSON}
	batch.Changed = &controlplane.OperationRequest{Method: "PATCH", Path: "/bulk", Body: batchChanged}
	batch.Deleted = &controlplane.OperationRequest{Method: "DELETE", Path: "/bulk", Body: batchDeleted}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(base, syncResource("s", "Contacts", "active", requestBlock(""))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("request").AtMapKey("mode"), knownvalue.StringExact("record")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("request").AtMapKey("test_on_save"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("request").AtMapKey("deleted").AtMapKey("body"), knownvalue.Null()),
				},
				Check: resource.ComposeTestCheckFunc(stored(spec), func(*terraform.State) error {
					for _, r := range hook.Requests() {
						if r.Path != "/" { // the connection's own test_on_save posts to its URL
							return fmt.Errorf("the request's test_on_save is off, yet %s %s was sent", r.Method, r.Path)
						}
					}
					return nil
				}),
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: importByName(addr)},
			{
				// Drift: the stored request changed behind Terraform's back.
				PreConfig: func() {
					if _, err := e.cp.Exec(t.Context(), `UPDATE backflow.syncs SET request = jsonb_set(request, '{new,method}', '"PUT"')`); err != nil {
						t.Fatal(err)
					}
				},
				Config: e.config(base, syncResource("s", "Contacts", "active", requestBlock(""))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: stored(spec),
			},
			{
				// Batch mode with NDJSON, tested on save: the `new` request rendered for a sample record.
				Config: e.config(base, syncResource("s", "Contacts", "active", `behavior    = "mirror"
  primary_key = "unique_id"
  request = {
    new     = { method = "POST", path = "/bulk", format = "ndjson" }
    changed = { method = "PATCH", path = "/bulk", body = `+hclString(batchChanged)+` }
    deleted = { method = "DELETE", path = "/bulk", body = `+hclString(batchDeleted)+` }
    mode         = "batch"
    test_on_save = true
  }`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(stored(&batch), func(*terraform.State) error {
					var reqs []webhooktest.Request
					for _, r := range hook.Requests() {
						if r.Path != "/" {
							reqs = append(reqs, r)
						}
					}
					if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/bulk" ||
						reqs[0].Header.Get("Content-Type") != "application/x-ndjson" {
						return fmt.Errorf("test on save sent %d requests: %v", len(reqs), reqs)
					}
					body := reqs[0].Body
					if want := `{"unique_id":"sample unique_id","email":"sample email","first_name":"sample first_name"}` + "\n"; string(body) != want {
						return fmt.Errorf("test on save sent %q, want %q", body, want)
					}
					return nil
				}),
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{
				// No request: the envelope again.
				Config: e.config(base, syncResource("s", "Contacts", "active", `behavior = "mirror"
  primary_key = "unique_id"`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("request"), knownvalue.Null()),
				},
				Check: stored(nil),
			},
		},
	})
}

// Bad templates and request blocks are refused at plan, with where, and nothing changes.
func TestAccSyncRequestRefused(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	base := e.syncBase(hook.URL)
	good := e.config(base, syncResource("s", "Contacts", "active", requestBlock("")))
	rows := func() string {
		var s string
		if err := e.cp.QueryRow(t.Context(), `SELECT string_agg(concat_ws(',', id, name, updated_at, request::text), ';') FROM backflow.syncs`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	one := func(behavior, request string) string {
		return e.config(base, syncResource("s", "Contacts", "active", fmt.Sprintf(`behavior    = %q
  primary_key = "unique_id"
  request = {
    %s
  }`, behavior, request)))
	}
	newBody := func(body string) string {
		return `new = { method = "POST", path = "/contacts", body = ` + hclString(body) + ` }`
	}
	var before string
	steps := []resource.TestStep{{Config: good, Check: func(*terraform.State) error { before = rows(); return nil }}}
	for _, bad := range []struct{ config, pattern string }{
		// Templates that do not parse: refused by the validator, with line and column.
		{one("append", newBody("{\n  \"a\": {% if record.email %}1\n}")), `Invalid Request Template.*line 2, column 8: unterminated "if" block`},
		{one("append", newBody(`{"a": {% for %}{% endfor %}}`)), `Invalid Request Template.*line 1, column 7`},
		// Templates that fail for the sample record.
		{one("append", newBody(`{"email": {{ record.emial | json }}}`)), `.new. request's body.*line 1, column 11: undefined variable in \{\{ record.emial \| json \}\}: record.emial names no field`},
		{one("append", newBody("{\n\n  \"e\": {{ record.nope }}\n}")), `.new. request's body.*line 3, column 8: undefined variable in \{\{ record.nope \}\}`},
		{one("append", newBody(`{"email": {{ record.email | no_such_filter }}}`)), `.new. request's body.*line 1, column 11: .*undefined filter.*no_such_filter`},
		{one("append", `new = { method = "POST", path = "/c/{{ recrod.email | url_encode }}" }`), `.new. request's path.*line 1, column 4`},
		// A path that writes its own slashes inside {{ }}: a record's value there would name another resource.
		{one("append", `new = { method = "POST", path = "{{ \"/c/\" | append: record.email }}" }`),
			`.new. request's path.*wrote "/c/sample email", whose '/' would add a segment.*write them outside \{\{ \}\}`},
		// Templates past the render's budget for the sample record: work, and the size of a value.
		{one("append", newBody("{}\n{% for i in (1..2000000000) %}{% endfor %}")),
			`.new. request's body.*line 2, column 1: it does more work than a render may \(1000000 steps`},
		{one("append", newBody(`{% assign s = "x" %}{% for i in (1..100) %}{% assign s = s | append: s %}{% endfor %}{}`)),
			`.new. request's body.*line 1, column 21: it makes a value of more than 32 MiB`},
		// Invalid JSON for a JSON content type, with where in what it rendered.
		{one("append", newBody(`{"email": {{ record.email }}}`)), `.new. request's body.*not valid JSON.*line 1, column 11 of what it rendered.*sample email`},
		{one("append", `new = { method = "POST", format = "raw", content_type = "application/vnd.api+json", body = "{\"a\": 1,}" }`), `not valid JSON.*line 1, column 9 of what it rendered`},
		{one("mirror", newBody(contactTemplate)+"\n"+`deleted = { method = "DELETE", path = "/c/{{ record.first_name | url_encode }}" }`),
			`.deleted. request's path.*line 1, column 4: undefined variable.*record.first_name names no field`},
		// Blocks whose parts do not fit together.
		{one("append", `new = { method = "POST", format = "form" }
    mode = "batch"`), `Invalid Request.*form body carries one record.*mode is .batch.`},
		{one("append", `new = { method = "POST", format = "envelope" }`), `Invalid Request.*envelope carries a batch`},
		{one("append", `new = { method = "POST", format = "json" }`), `Invalid Request.*json. format sends the rendered .body., but the .new. request has none`},
		{one("append", `new = { method = "DELETE", format = "none", body = "x" }`), `Invalid Request.*builds the body itself`},
		{one("append", `new = { method = "POST", format = "none", content_type = "text/plain" }`), `Invalid Request.*sends no body`},
		{one("append", `new = { method = "POST", content_type = "text/plain", body = "x" }`), `Invalid Request.*json. format is sent as JSON`},
		// A Content-Type the runner could not send (every request would fail after its retries).
		{one("append", `new = { method = "POST", format = "raw", body = "x", content_type = "text/plain\r\nX-Injected: 1" }`),
			`Invalid Content Type.*line break`},
		{one("append", `new = { method = "POST", format = "raw", body = "x", content_type = "text plain" }`), `Invalid Content Type.*not a media type`},
		{one("append", `new = { method = "POST", format = "raw", body = "x", content_type = "text/plain; charset=iso-8859-1" }`),
			`Invalid Content Type.*charset=iso-8859-1.*sent in UTF-8`},
		// text/json is JSON's older name: its body is checked as JSON.
		{one("append", `new = { method = "POST", format = "raw", content_type = "text/json", body = "{\"a\": 1,}" }`), `not valid JSON.*line 1, column 9 of what it rendered`},
		{one("mirror", newBody(contactTemplate)), `Invalid Request.*mirror. sync sends .deleted. records`},
		{one("append", newBody(contactTemplate)+"\n"+`changed = { method = "PATCH", body = "{}" }`), `Invalid Request.*append. sync sends only new records`},
		{one("update_or_create", `deleted = { method = "DELETE" }`), `Invalid Request.*neither a .new. nor a .changed. request`},
		{one("append", `new = { method = "GET" }`), `Invalid Attribute Value Match.*POST.*PUT.*PATCH.*DELETE`},
		{one("append", `new = { method = "POST", headers = { Authorization = "Bearer x" } }`), `Credential in Request Headers.*Authorization`},
		{one("append", `new = { method = "POST", headers = { "X-Api-Key" = "x" } }`), `Credential in Request Headers.*X-Api-Key`},
	} {
		steps = append(steps, resource.TestStep{Config: bad.config, PlanOnly: true, ExpectError: expectErr(bad.pattern)})
	}
	steps = append(steps, resource.TestStep{
		Config:           good,
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		Check: func(*terraform.State) error {
			if after := rows(); after != before {
				return fmt.Errorf("stored syncs changed:\nbefore: %s\nafter:  %s", before, after)
			}
			return nil
		},
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps:                    steps,
	})
}

// A failed test_on_save of a request shows the start of the endpoint's answer, as a connection's
// test does: its first 64 printable bytes, never the rest (a URL pointed at an internal service
// would otherwise print that service's answer in the apply's output).
func TestAccSyncRequestTestOnSaveShowsAnExcerpt(t *testing.T) {
	e := newTestEnv(t)
	hook := webhooktest.New(t)
	const answer = "invalid contact: missing field\n" + "\x1b[2J" + "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and more of an internal document"
	hook.Handle(func(r *webhooktest.Request, w http.ResponseWriter) bool {
		if r.Path == "/" {
			return false // the connection's own test: answered 200
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, answer)
		return true
	})
	base := e.syncBase(hook.URL)
	// The whole message, up to the quote that closes the excerpt and the period after it.
	excerpt := webhook.AnswerExcerpt(answer)
	if len(excerpt) > 70 || strings.Contains(excerpt, "and more of") || strings.Contains(excerpt, "\x1b") {
		t.Fatalf("excerpt %q: want at most 64 printable bytes", excerpt)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config:      e.config(base, syncResource("s", "Contacts", "active", requestBlock("test_on_save = true"))),
			ExpectError: expectErr(`Request Test Failed.*answered HTTP 400 Bad Request: ` + regexp.QuoteMeta(strconv.Quote(excerpt)) + `\.`),
		}},
	})
}

// The excerpt leaves out the template's strings (an API key the body sets) as the rest of the
// message does, even where its bound cuts one: an endpoint that echoes the request it refused
// showed the key up to the cut, which the hiding, done on the excerpt, no longer found whole.
func TestAccSyncRequestTestOnSaveExcerptHidesTemplateStrings(t *testing.T) {
	e := newTestEnv(t)
	hook := webhooktest.New(t)
	const key = "sk_live_0123456789abcdef"
	prefix := strings.Repeat("x", 37) + " " // the excerpt's 64 bytes end inside the key
	hook.Handle(func(r *webhooktest.Request, w http.ResponseWriter) bool {
		if r.Path == "/" {
			return false // the connection's own test: answered 200
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, prefix+string(r.Body))
		return true
	})
	body := `{"api_key": "` + key + `", "email": {{ record.email | json }}}`
	excerpt := webhook.AnswerExcerpt(prefix + `{"api_key": "[template text]", "email": "sample email"}`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config: e.config(e.syncBase(hook.URL), syncResource("s", "Contacts", "active", fmt.Sprintf(`behavior = "append"
  primary_key = "unique_id"
  request = {
    new = { method = "POST", path = "/contacts", body = %s }
    test_on_save = true
  }`, hclString(body)))),
			ExpectError: expectErr(`Request Test Failed.*answered HTTP 400 Bad Request: ` + regexp.QuoteMeta(strconv.Quote(excerpt)) + `\.`),
		}},
	})
}

// requiredBackflow names this provider's source, which a step importing with an import block needs.
const requiredBackflow = `
terraform {
  required_providers {
    backflow = { source = "backflowhq/backflow" }
  }
}
`

// `headers = {}` (a connection's, or a request's) is stored as no headers; reading it back must
// keep the configured empty map, or every plan after the apply shows it being added again. An
// import too: it has no prior state to keep it from, so the store keeps {} apart from no headers
// (the plan after a correct import added them again, and its apply rewrote the sync, whose next
// run then read its whole model had it a cursor).
func TestAccEmptyHeadersNoDrift(t *testing.T) {
	e := newTestEnv(t)
	hook := webhooktest.New(t)
	base := e.warehouseConnection("w", "warehouse") + webhookConnection("hook", "Webhook Test", hook.URL, "headers = {}") +
		model("all", "all users", "w", `table = "users"`)
	sync := syncResource("s", "empty headers", "all", `behavior    = "update_or_create"
  primary_key = "unique_id"
  request = {
    new = { method = "POST", path = "/contacts", body = "{}", headers = {} }
  }`)
	oauth := webhookConnection("oauth", "OAuth2 empty", hook.URL+"/oauth", `test_on_save = false
    oauth2 = { token_url = "`+hook.URL+`/token", client_id = "c", client_secret = "s", scopes = [], parameters = {} }`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config: e.config(base, sync),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			// An import block's plan must be a no-op import.
			{Config: e.config(requiredBackflow, base, sync), ResourceName: "backflow_connection.hook", ImportState: true,
				ImportStateKind: resource.ImportBlockWithID},
			// So with an OAuth2 block's `scopes = []` and `parameters = {}`.
			{Config: e.config(base, sync, oauth)},
			{Config: e.config(requiredBackflow, base, sync, oauth), ResourceName: "backflow_connection.oauth", ImportState: true,
				ImportStateKind: resource.ImportBlockWithID},
			{Config: e.config(requiredBackflow, base, sync), ResourceName: "backflow_sync.s", ImportState: true,
				ImportStateKind: resource.ImportBlockWithID},
		},
	})
}

// A template's string values may hold what Terraform hides as sensitive (an API key the body
// sets from a variable): a plan that refuses the template for the sample record says where and
// why, without them, though the error quotes what the template rendered.
func TestRequestTemplateErrorHidesItsStrings(t *testing.T) {
	const key, query = "sk_live_Sup3rS3cret/+", "Qu3ryT0kenValue"
	m := &controlplane.Model{Name: "contacts", Columns: []controlplane.Column{{Name: "id", Type: "int4"}, {Name: "email", Type: "text"}}}
	for _, spec := range []*controlplane.RequestSpec{
		{Mode: controlplane.RequestModeRecord, New: &controlplane.OperationRequest{Method: "POST",
			Body: `{"api_key": "` + key + `", "email": {{ record.email }}}`}},
		{Mode: controlplane.RequestModeRecord, New: &controlplane.OperationRequest{Method: "POST",
			Path: "/c?token=" + query + "&e={{ record.emial | url_encode }}"}},
	} {
		y := &controlplane.Sync{Name: "Contacts", Behavior: controlplane.BehaviorAppend, PrimaryKey: "id", Request: spec}
		var diags diag.Diagnostics
		checkRequestTemplates(y, m, "", "Webhook", &diags)
		if len(diags.Errors()) != 1 {
			t.Fatalf("%+v: want one error, got %v", spec.New, diags)
		}
		d := diags.Errors()[0].Detail()
		if strings.Contains(d, "Sup3rS3cret") || strings.Contains(d, query) {
			t.Errorf("the error shows a string of the template:\n%s", d)
		}
		if !strings.Contains(d, "line 1, column") {
			t.Errorf("the error no longer says where:\n%s", d)
		}
	}
}

// A template that does not parse is refused with the tag it failed at, which can hold a string
// the template writes as it is (an API key from a sensitive variable, as a Liquid literal): the
// message leaves it out, as the plan's other refusals of a template do.
func TestTemplateParseErrorHidesItsStrings(t *testing.T) {
	for _, src := range []string{
		`{"api_key": {{ "sk_live_ABCDEF123456" | }}}`,
		`{"api_key": {% assign k = "sk_live_ABCDEF123456" x %}}`,
		`/contacts?token=tok_ABCDEF123456&x={{ record.x | }}`,
	} {
		resp := &validator.StringResponse{}
		templateValidator{}.ValidateString(context.Background(),
			validator.StringRequest{Path: path.Root("body"), ConfigValue: types.StringValue(src)}, resp)
		if !resp.Diagnostics.HasError() {
			t.Fatalf("%s: want a parse error", src)
		}
		for _, d := range resp.Diagnostics.Errors() {
			if msg := d.Detail(); strings.Contains(msg, "ABCDEF") {
				t.Errorf("%s: %q shows the template's string", src, msg)
			}
		}
	}
}

// An empty string where leaving the attribute out means the same (a request's `path`, a duckdb
// connection's `init_sql`) is refused at plan, as an empty `body` or `cursor` is: the store keeps
// it as unset, so it was applied and every later plan showed it being set again (`+ path = ""`),
// an update whose apply rewrote the sync or the warehouse connection each time.
func TestAccEmptyStringsRefused(t *testing.T) {
	e := newTestEnv(t)
	hook := webhooktest.New(t)
	base := e.syncBase(hook.URL)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: e.config(base)},
			{
				Config: e.config(base, syncResource("s", "empty path", "all", `behavior    = "update_or_create"
  primary_key = "unique_id"
  request = {
    new = { method = "POST", path = "", body = "{}" }
  }`)),
				PlanOnly:    true,
				ExpectError: expectErr(`request.new.path.*at least 1`),
			},
			{
				Config: e.config(base, `
resource "backflow_connection" "d" {
  name   = "empty init_sql"
  duckdb = { database = ":memory:", init_sql = "" }
}
`),
				PlanOnly:    true,
				ExpectError: expectErr(`init_sql.*at least 1`),
			},
			{Config: e.config(base)}, // what the destroy after the test plans
		},
	})
}

// A format that builds its own body (form, envelope) sent with a content_type that says another
// type is refused at plan: the endpoint would read every request as that type and refuse every
// record. Its valid neighbours (the format's own type, in any case, with parameters) are not.
func TestCheckRequestSpecBuiltBodyContentType(t *testing.T) {
	for _, c := range []struct {
		format, mode, contentType string
		refused                   bool
	}{
		{controlplane.FormatForm, controlplane.RequestModeRecord, "application/json", true},
		{controlplane.FormatForm, controlplane.RequestModeRecord, "multipart/form-data", true},
		{controlplane.FormatForm, controlplane.RequestModeRecord, "text/plain", true},
		{controlplane.FormatEnvelope, controlplane.RequestModeBatch, "text/plain", true},
		{controlplane.FormatEnvelope, controlplane.RequestModeBatch, "application/x-www-form-urlencoded", true},
		{controlplane.FormatForm, controlplane.RequestModeRecord, "", false},
		{controlplane.FormatForm, controlplane.RequestModeRecord, "application/x-www-form-urlencoded", false},
		{controlplane.FormatForm, controlplane.RequestModeRecord, "Application/X-WWW-Form-URLEncoded; charset=UTF-8", false},
		{controlplane.FormatEnvelope, controlplane.RequestModeBatch, "", false},
		{controlplane.FormatEnvelope, controlplane.RequestModeBatch, "application/json; charset=utf-8", false},
		{controlplane.FormatEnvelope, controlplane.RequestModeBatch, "application/vnd.census+json", false},
		// text/json, JSON's older name, was refused as no JSON type.
		{controlplane.FormatEnvelope, controlplane.RequestModeBatch, "text/json", false},
		{controlplane.FormatEnvelope, controlplane.RequestModeBatch, "Text/JSON; charset=utf-8", false},
		{controlplane.FormatEnvelope, controlplane.RequestModeBatch, "text/jsonl", true},
		// ndjson is left to the endpoint: some read it as application/json (Elasticsearch's _bulk).
		{controlplane.FormatNDJSON, controlplane.RequestModeBatch, "application/json", false},
	} {
		spec := &controlplane.RequestSpec{Mode: c.mode,
			New: &controlplane.OperationRequest{Method: "POST", Format: c.format, ContentType: c.contentType}}
		problems := checkRequestSpec(spec, controlplane.BehaviorAppend)
		if got := len(problems) > 0; got != c.refused {
			t.Errorf("format %s, content_type %q: refused %v, want %v (%v)", c.format, c.contentType, got, c.refused, problems)
			continue
		}
		if c.refused && (problems[0].at.String() != "request.new.content_type" || !strings.Contains(problems[0].what, strconv.Quote(c.contentType))) {
			t.Errorf("format %s, content_type %q: %s: %s, want it at request.new.content_type, naming the type", c.format, c.contentType, problems[0].at, problems[0].what)
		}
	}
}

// test_on_save sends the sample record's request as the plan checked it: a template reading a
// number of a text column ({{ record.first_name | plus: 0 }}, which the plan passes) is built
// and sent, and the apply succeeds (it failed: "\"sample first_name\" is not a number").
func TestAccSyncRequestTestOnSaveReadsSampleTextAsThePlan(t *testing.T) {
	e := newTestEnv(t)
	hook := webhooktest.New(t)
	var bodies []string
	var mu sync.Mutex
	hook.Handle(func(r *webhooktest.Request, w http.ResponseWriter) bool {
		if r.Path == "/" {
			return false // the connection's own test: answered 200
		}
		mu.Lock()
		bodies = append(bodies, string(r.Body))
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return true
	})
	body := hclString(`{"n": {{ record.first_name | plus: 0 }}, "y": {{ record.first_name | date: "%Y" | json }}}`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config: e.config(e.syncBase(hook.URL), syncResource("s", "Contacts", "active", `behavior = "update_or_create"
  primary_key = "unique_id"
  request = {
    new          = { method = "POST", path = "/contacts", body = `+body+` }
    test_on_save = true
  }`)),
			Check: func(*terraform.State) error {
				mu.Lock()
				defer mu.Unlock()
				if want := []string{`{"n": 1, "y": "2024"}`}; !slices.Equal(bodies, want) {
					return fmt.Errorf("test_on_save sent %q, want %q", bodies, want)
				}
				return nil
			},
		}},
	})
}

// A request whose body or content type comes from a variable: Terraform validates the
// configuration first with variables unknown (terraform validate, and before a plan), where the
// body read as absent was refused ("the `raw` format sends the rendered `body`, but the `new`
// request has none") whatever the variable held. The checks run when the values are known: a
// variable that makes the request wrong is still refused.
func TestAccSyncRequestFromVariables(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, http.StatusOK, "ok")
	base := e.syncBase(hook.URL)
	config := func(format, contentType string) string {
		return e.config(base, fmt.Sprintf(`
variable "body" {
  type    = string
  default = "{\"email\": {{ record.email | json }}}"
}
variable "content_type" {
  type    = string
  default = %q
}
`, contentType)+syncResource("s", "Contacts", "active", fmt.Sprintf(`behavior    = "append"
  primary_key = "unique_id"
  request = {
    new = { method = "POST", path = "/contacts", format = %q, content_type = var.content_type, body = var.body }
  }`, format)))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{Config: config("raw", "application/json")},
			{Config: config("json", "text/plain"), PlanOnly: true, ExpectError: expectErr(`Invalid Request.*json. format is sent as JSON, but content_type is "text/plain"`)},
		},
	})
}
