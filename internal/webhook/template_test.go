package webhook

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

func render(t *testing.T, src, rec string) (string, error) {
	t.Helper()
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, Body: src}}, Vars{SyncName: "s"})
	if err != nil {
		return "", err
	}
	b, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(rec)})
	return string(b.Body), err
}

func TestFilters(t *testing.T) {
	rec := `{"k": "a b/c?d&e=f+g ü 例", "n": 12.50, "i": 9007199254740993, "big": 123456789012345678901234567890.5,
		"t": "2024-02-29T23:59:59+02:00", "s": "<q \"x\">\n", "o": {"b": [1, null]}, "z": null}`
	for _, tc := range []struct{ src, want string }{
		{`{{ record.k | url_encode }}`, "a%20b%2Fc%3Fd%26e%3Df%2Bg%20%C3%BC%20%E4%BE%8B"},
		{`{{ record.n | json }} {{ record.i | json }} {{ record.big | json }}`, "12.50 9007199254740993 123456789012345678901234567890.5"},
		{`{{ record.n }} {{ record.i }}`, "12.50 9007199254740993"},
		{`{{ record.s | json }}`, `"<q \"x\">\n"`},
		{`{{ record.o | json }} {{ record.z | json }}`, `{"b":[1,null]} null`},
		{`{{ "abc" | sha256 }}`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`{{ record.t | iso8601 }} {{ record.t | unix }} {{ record.t | date: "%Y-%m-%d" }}`, "2024-02-29T21:59:59Z 1709243999 2024-02-29"},
		{`{{ operation }} {{ sync.name }}`, "new s"},
	} {
		got, err := render(t, tc.src, rec)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.src, got, err, tc.want)
		}
	}
}

func TestJoinURL(t *testing.T) {
	for _, tc := range []struct{ base, path, want string }{
		{"https://h/api", "", "https://h/api"},
		{"https://h/api/", "/contacts", "https://h/api/contacts"},
		{"https://h/api?k=1", "/contacts/7?x=2", "https://h/api/contacts/7?k=1&x=2"},
		{"https://h", "contacts?x=2", "https://h/contacts?x=2"},
		{"https://h/api?k=1", "?x=2", "https://h/api?k=1&x=2"},
		// A path that is only a query leaves the URL's path as it is, its trailing slash included:
		// servers that tell /events/ from /events answer the other one with a redirect (Django,
		// FastAPI) or a 404.
		{"https://h/api/events/", "?x=2", "https://h/api/events/?x=2"},
		{"https://h/api/events/?k=1", "?x=2", "https://h/api/events/?k=1&x=2"},
		{"https://h/api/events/", "/", "https://h/api/events/"},
		// The URL's fragment is never sent: it must not swallow the path or query joined to it.
		{"https://h/api#top", "/contacts/7", "https://h/api/contacts/7"},
		{"https://h/api?k=1#top", "/contacts/7?x=2", "https://h/api/contacts/7?k=1&x=2"},
		{"https://h/api#top", "", "https://h/api#top"},
	} {
		if got := JoinURL(tc.base, tc.path); got != tc.want {
			t.Errorf("JoinURL(%q, %q) = %q, want %q", tc.base, tc.path, got, tc.want)
		}
	}
}

// Template errors say where: the line, and the column of the tag or output that failed.
func TestTemplateErrorPositions(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"{\n  \"a\": {% if x %}", `line 2, column 8: unterminated "if" block`},
		{"x\n\n   {{ record.k | nope }}", "line 3, column 4: "},
	} {
		var err error
		if err = ParseTemplate(tc.src); err == nil {
			_, err = render(t, tc.src, `{"k": 1}`)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.src, err, tc.want)
		}
	}
	_, err := render(t, `{{ record.k }}`, `[1]`)
	if err == nil || !strings.Contains(err.Error(), "not a JSON object") {
		t.Errorf("a record that is not an object: %v", err)
	}
}

// Liquid's include tag reads a file of the machine rendering the template (the runner's, or at
// plan the provider's), relative to its working directory and with no bound on "..": a template
// could send /proc/self/environ or a credentials file to its endpoint, or show it in a plan's
// error. It is refused when rendered, run and plan alike, and no file is read.
func TestIncludeReadsNoFile(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(secret, []byte("TOPSECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{
		`{% include "` + rel + `" %}`,
		`{% assign f = "` + rel + `" %}{% include f %}`,
		`{"x": "{%- include "` + rel + `" -%}"}`,
	} {
		got, err := render(t, src, `{"k": 1}`)
		if err == nil || strings.Contains(got, "TOPSECRET") || strings.Contains(err.Error(), "TOPSECRET") ||
			!strings.Contains(err.Error(), "include") {
			t.Errorf("%s rendered %q (%v), want an error about include and no file read", src, got, err)
		}
		errs := CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Body: src}}, Vars{}, []byte(`{"k": 1}`), []byte(`{"k": 1}`))
		if len(errs) != 1 || strings.Contains(errs[0].Error(), "TOPSECRET") || !strings.Contains(errs[0].Error(), "include") {
			t.Errorf("plan check of %s: %v, want one error about include and no file read", src, errs)
		}
		// Notification bodies use the same engine.
		body, err := RenderEvent(src, "text/plain", []byte(`{"event": "run.failed"}`))
		if err == nil || strings.Contains(string(body), "TOPSECRET") || !strings.Contains(err.Error(), "include") {
			t.Errorf("notification body %s rendered %q (%v), want an error about include", src, body, err)
		}
	}
}

// An include tag is refused when the template is compiled, so at plan time too, even on a branch
// the plan's sample record does not take; the text "include" in a raw block is text.
func TestIncludeRefusedWhenCompiled(t *testing.T) {
	for _, src := range []string{
		`{"a": 1{% if record.k == 2 %}{% include "x.txt" %}{% endif %}}`,
		"{\"a\": 1}\n{%- include 'x' -%}",
	} {
		errs := CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Body: src}}, Vars{}, []byte(`{"k": 1}`), []byte(`{"k": 1}`))
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "include tag is not available") {
			t.Errorf("plan check of %q: %v, want one error about include", src, errs)
		}
	}
	if errs := CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", ContentType: "text/plain", Body: `{% raw %}{% include "x" %}{% endraw %}`}},
		Vars{}, []byte(`{"k": 1}`), []byte(`{"k": 1}`)); len(errs) != 0 {
		t.Errorf("an include in a raw block is text: %v", errs)
	}
}

// A template that repeats its text without bound ({% for i in (1..100000000) %}) rendered all of
// it into memory: 222 MB in 18 s for three million turns, and a larger range took the runner
// down with every sync it serves. What a template renders is bounded (a body by the larger of
// renderFloor and 8 times its records, a path by maxPathRender): past it, rendering stops and
// the record is rejected, never sent.
func TestRenderIsBounded(t *testing.T) {
	defer func(f int) { renderFloor = f }(renderFloor)
	renderFloor = 1 << 20
	loop := `{% for i in (1..1000000000) %}0123456789{% endfor %}`
	// Whitespace control makes Liquid panic on a failed write, in two ways.
	for _, src := range []string{loop, `{% for i in (1..1000000000) -%} 0123456789 {%- endfor %}`,
		"{% for i in (1..1000000000) %}{{ i }}\n  {%- endfor %}"} {
		// That rendering stops there, rather than going on with its writes refused, shows in the
		// error: a loop that went on would end on the budget's steps, saying so instead.
		got, err := render(t, src, `{"k": 1}`)
		if err == nil || !strings.Contains(err.Error(), "renders more than 1 MiB") || len(got) > renderFloor {
			t.Errorf("unbounded body %s: %d bytes, %v; want an error saying it renders more than 1 MiB", src, len(got), err)
		}
	}
	// Within the bound, a large body renders: eight times the records' size, however small the floor.
	big := `{"k": "` + strings.Repeat("x", 300<<10) + `"}`
	if got, err := render(t, `{{ record | json }}{{ record | json }}{{ record | json }}{{ record | json }}`, big); err != nil || len(got) != 4*len(big) {
		t.Errorf("a body 4 times its record: %d bytes, %v", len(got), err)
	}
	// A path.
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Path: "/c/" + loop}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(`{"k": 1}`)}); err == nil ||
		!strings.Contains(err.Error(), "renders more than 64 KiB") {
		t.Errorf("unbounded path: %v, want an error saying it renders more than 64 KiB", err)
	}
	// A notification body.
	if _, err := RenderEvent(loop, "text/plain", []byte(`{"event": "run.failed"}`)); err == nil ||
		!strings.Contains(err.Error(), "renders more than 1 MiB") {
		t.Errorf("unbounded notification body: %v", err)
	}
}

// An include commented out is never rendered, and such a template rendered before the tag was
// refused at compile time; it is still accepted (an include after the comment is not).
func TestIncludeInACommentIsAccepted(t *testing.T) {
	check := func(src string) []*SpecError {
		return CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", ContentType: "text/plain", Body: src}},
			Vars{}, []byte(`{"k": 1}`), []byte(`{"k": 1}`))
	}
	for _, src := range []string{
		`{% comment %}{% include "x" %}{% endcomment %}ok`,
		"{%- comment -%}\n old: {% include 'x' %}\n{%- endcomment -%}ok",
		`{% assign include_me = 1 %}{{ include_me }}ok`,
	} {
		if errs := check(src); len(errs) != 0 {
			t.Errorf("%q: %v, want it accepted", src, errs)
		}
	}
	for _, src := range []string{
		`{% comment %}a{% endcomment %}{% include "x" %}`,
		`{% comment %}{% raw %}{% endcomment %}{% include "x" %}`,
	} {
		if errs := check(src); len(errs) != 1 || !strings.Contains(errs[0].Error(), "include tag is not available") {
			t.Errorf("%q: %v, want the include refused", src, errs)
		}
	}
}

// The text "{% include" in a string literal of an output ({{ "see {% include x %}" }}, a JSON
// body's string through a filter) is text: Liquid renders it as such. It was refused at plan as
// an include tag. Includes that Liquid would run are still refused, at their position.
func TestIncludeInAStringIsText(t *testing.T) {
	check := func(src string) []*SpecError {
		return CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", ContentType: "text/plain", Body: src}},
			Vars{}, []byte(`{"k": 1}`), []byte(`{"k": 1}`))
	}
	for src, want := range map[string]string{
		`{{ "see {% include x %}" }}`:                        `see {% include x %}`,
		`{"note": {{ "{% include 'x' %}" | json }}}`:         `{"note": "{% include 'x' %}"}`,
		`{{ 'a {%- include x -%} b' | upcase }}`:             `A {%- INCLUDE X -%} B`,
		`{% assign s = "x {{ 1 }}" %}{{ s | append: "{%" }}`: `x {{ 1 }}{%`,
	} {
		if errs := check(src); len(errs) != 0 {
			t.Errorf("%s: %v, want it accepted", src, errs)
		}
		if got, err := render(t, src, `{"k": 1}`); err != nil || got != want {
			t.Errorf("%s rendered %q (%v), want %q", src, got, err, want)
		}
	}
	for src, want := range map[string]string{
		`{{ "a" }}{% include "x" %}`:                                       "line 1, column 10: the include tag",
		"{\"a\": {{ \"{% include x %}\" | json }}}\n  {%- include 'x' -%}": "line 2, column 3: the include tag",
		`{% raw %}{{ "{% endraw %}{% include "x" %}`:                       "line 1, column 26: the include tag",
		`{% if "{{" == "" %}{% include "x" %}{% endif %}`:                  "line 1, column 20: the include tag",
	} {
		if errs := check(src); len(errs) != 1 || !strings.Contains(errs[0].Error(), want) {
			t.Errorf("%q: %v, want the include refused: %s", src, errs, want)
		}
	}
}

// A range may take its bounds from a record's integers (Liquid's ranges take ints: records'
// integers were int64s, and (1..record.n) failed with "can't convert int64(3) to type int"), and
// the render's budget still bounds a range as large as a record's value.
func TestRangeFromARecordsInteger(t *testing.T) {
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord, New: &controlplane.OperationRequest{Method: "POST", Body: `{}`}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ src, rec, want, err string }{
		{`{% for i in (1..record.n) %}{{ i }},{% endfor %}`, `{"n": 3}`, "1,2,3,", ""},
		{`{% assign m = record.n %}{% for i in (m..5) %}{{ i }}{% endfor %}`, `{"n": 3}`, "345", ""},
		{`{{ (1..record.n) | join: "-" }}`, `{"n": 4}`, "1-2-3-4", ""},
		{`{{ record.n | plus: 1 }} {{ record.big }}`, `{"n": -7, "big": 123456789012345678901234567890}`, "-6 123456789012345678901234567890", ""},
		{`{% for i in (1..record.n) %}{% endfor %}`, `{"n": 2000000000}`, "", "more work than a render may"},
	} {
		tp, err := compileTemplate(false, c.src)
		if err != nil {
			t.Fatal(err)
		}
		recs := [][]byte{[]byte(c.rec)}
		out, err := tp.render(rs.bindings(controlplane.OpNew, recs), bodyLimits(recs))
		switch {
		case c.err == "" && (err != nil || string(out) != c.want):
			t.Errorf("%s with %s: %q, %v; want %q", c.src, c.rec, out, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s with %s: %v; want an error saying %q", c.src, c.rec, err, c.err)
		}
	}
}

// A field nested deeper than a decoder goes (encoding/json stops at 10,000 levels; a json or
// jsonb column can hold more) could not be decoded, and the template saw it as absent: {{
// record.deep | json }} sent null, a loop over the record's fields gave it as null, so the
// endpoint was sent a body that differs from the record without a word (a CRM told
// "properties": null clears them). The record is now rejected, saying which field could not
// be read, and a template that does not read the field renders as before.
func TestDeepFieldIsNotReadAsNull(t *testing.T) {
	deep := strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000)
	rec := `{"id": 7, "deep": ` + deep + `, "shallow": [[1]]}`
	for _, src := range []string{
		`{"d": {{ record.deep | json }}}`,
		`{% for f in record %}{{ f[0] }}={{ f[1] | json }};{% endfor %}`,
		`{{ record.deep | size }}`,
		`{% if record.deep == empty %}empty{% endif %}`,
	} {
		got, err := render(t, src, rec)
		if err == nil || !strings.Contains(err.Error(), `"deep"`) || !strings.Contains(err.Error(), "could not be read") {
			t.Errorf("%s: %.100q, %v; want an error naming the field deep", src, got, err)
		}
	}
	if got, err := render(t, `{{ record.id }} {{ record.shallow | json }}`, rec); err != nil || got != "7 [[1]]" {
		t.Errorf("a template not reading the deep field: %q, %v; want \"7 [[1]]\"", got, err)
	}
}

// Decimals and floats keep their exact text, so Liquid compares them as text; `| plus: 0` makes
// a number of one, which compares as a number (docs/destinations.md, Variables, says so).
func TestDecimalComparedAfterPlusZero(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`{% assign n = record.n | plus: 0 %}{% if n > 100 %}big{% else %}small{% endif %}`, "big"},
		{`{% assign n = record.n | plus: 0 %}{% if n == 150.25 %}eq{% endif %}`, "eq"},
		{`{% assign m = record.m | plus: 0 %}{% if m < 100 %}small{% endif %}`, "small"},
		{`{{ record.n }} {{ record.m | json }}`, "150.250 12.50"},
	} {
		got, err := render(t, tc.src, `{"n": 150.250, "m": 12.50}`)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.src, got, err, tc.want)
		}
	}
}

// Arithmetic is exact, as in Shopify's Liquid: integers stay integers of any size and print
// without an exponent, decimals are computed as written, integer division and modulo floor. The
// Liquid library computed in float64 and printed 1500001 as 1.500001e+06.
func TestArithmeticIsExact(t *testing.T) {
	rec := `{"n": 1500000, "t": "2024-02-29T23:59:59Z", "i": 9007199254740993, "big": 12345678901234567890,
		"max": 9223372036854775807, "price": 19.99, "d": 0.1, "neg": -7, "half": -2.5, "s": "12", "z": null,
		"avg": 33.3333333333333333}`
	for _, tc := range []struct{ src, want string }{
		{`{{ record.n | plus: 1 }} {{ 1000 | times: 1000 }} {{ record.t | unix | times: 1000 }}`, "1500001 1000000 1709251199000"},
		{`{{ record.i | plus: 1 }} {{ record.big | plus: 1 }} {{ record.max | plus: 1 }} {{ record.max | plus: 1 | minus: 1 }}`,
			"9007199254740994 12345678901234567891 9223372036854775808 9223372036854775807"},
		{`{{ record.big | divided_by: 10 }} {{ record.big | ceil }} {{ record.big | floor }} {{ record.big | minus: 1 | abs }}`,
			"1234567890123456789 12345678901234567890 12345678901234567890 12345678901234567889"},
		{`{{ record.price | times: 100 }} {{ record.d | plus: 0.2 }} {{ record.n | minus: 0.5 }} {{ record.price | times: 3 }}`,
			"1999 0.3 1499999.5 59.97"},
		{`{{ record.neg | divided_by: 2 }} {{ record.neg | modulo: 2 }} {{ 10.0 | divided_by: 4 }} {{ 1 | divided_by: 3.0 }}`,
			"-4 1 2.5 0.3333333333333333"},
		{`{{ record.half | round }} {{ 2.5 | round }} {{ record.price | round: 1 }} {{ 1234.5678 | round: 2 }} {{ 1234.5 | round: -2 }}`,
			"-3 3 20 1234.57 1200"},
		{`{{ record.price | ceil }} {{ record.price | floor }} {{ -1.5 | ceil }} {{ record.s | plus: 1 }} {{ record.z | plus: 1 }}`,
			"20 19 -1 13 1"},
		// The results are numbers to a condition, and as JSON and in a URL print as they do.
		{`{% assign p = record.price | plus: 0 %}{% if p > 100 %}big{% else %}small{% endif %} {{ record.n | plus: 0.5 | json }} {{ record.n | plus: 1 | url_encode }}`,
			"small 1500000.5 1500001"},
		{`{% assign a = record.avg | plus: 0 %}{% if a > 10 %}big{% endif %}{% if 10 < a %} big{% endif %} {{ a }}`, "big big 33.333333333333336"},
	} {
		got, err := render(t, tc.src, rec)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.src, got, err, tc.want)
		}
	}
	// What cannot be computed is an error of the template, never a wrong number.
	for _, src := range []string{
		`{{ 5 | divided_by: 0 }}`, `{{ 5 | modulo: 0 }}`, `{{ "abc" | plus: 1 }}`, `{{ true | plus: 1 }}`,
		`{% assign x = 10 %}{% for i in (1..20) %}{% assign x = x | times: x %}{% endfor %}{{ x }}`,
		`{{ "` + strings.Repeat("9", 1001) + `" | plus: 1 }}`,
	} {
		if got, err := render(t, src, `{}`); err == nil {
			t.Errorf("%s = %q, want an error", src, got)
		}
	}
}

// A read of a field the record does not have is refused at plan wherever it is: in a branch the
// sample record does not take, through a filter that makes text of nothing (downcase, default,
// append), in a loop over a batch. A run renders it as nothing for every record (the fields are
// the same for all: the mappings' names), so it is a misspelt field.
func TestCheckRequestsRefusesMisspeltFieldsAnywhere(t *testing.T) {
	sample := []byte(`{"id":42,"status":"active","email":"sample email","first-name":"x"}`)
	check := func(mode, body string) []*SpecError {
		r := &controlplane.OperationRequest{Method: "POST", Path: "/c", Body: body}
		return CheckRequests(&controlplane.RequestSpec{Mode: mode, New: r}, Vars{}, sample, []byte(`{"id":42}`))
	}
	for _, tc := range []struct{ mode, body, want string }{
		{"record", `{"x": "{% if record.status == "gone" %}{{ record.typo }}{% endif %}"}`,
			`line 1, column 40: undefined variable in {{ record.typo }}: record.typo names no field (the record's fields are id, status, email, first-name)`},
		{"record", "{\n\"x\": \"{% if record.id > 1000 %}{{ record.emial }}{% else %}{{ record.email }}{% endif %}\"}", "line 2, column 32: "},
		{"record", `{"h": "{{ record.emial | downcase | sha256 }}"}`, "record.emial names no field"},
		{"record", `{"x": "{{ record["e mail"] | default: "n" }}"}`, `record["e mail"] names no field`},
		{"record", `{"x": "{{ record.id | append: record.typo }}"}`, "record.typo names no field"},
		{"record", `{"x": "{% unless record.phnoe %}none{% endunless %}"}`, "record.phnoe names no field"},
		{"batch", `[{% for r in records %}{{ r.emial | json }}{% endfor %}]`, "r.emial names no field"},
		{"batch", `[{{ records.first.idd | json }}, {{ records[0].typo | json }}]`, "records.first.idd names no field"},
		// A name assigned a record reads its fields as the record does.
		{"record", `{% assign r = record %}{"x": "{{ r.emial }}"}`, "r.emial names no field"},
		{"record", `{% assign r = record %}{% assign s = r %}{"x": "{{ s.emial }}"}`, "s.emial names no field"},
		{"batch", `{% assign f = records | first %}{"x": "{{ f.emial }}"}`, "f.emial names no field"},
		{"batch", `[{% for r in records %}{% assign z = r %}{{ z.emial | json }}{% endfor %}]`, "z.emial names no field"},
	} {
		errs := check(tc.mode, tc.body)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("%s: %v, want it refused saying %q", tc.body, errs, tc.want)
		}
	}
	// Fields, strings, comments and names the template sets are not reads of a missing field.
	for _, tc := range []struct{ mode, body string }{
		{"record", `{"x": "{{ "record.typo" }} {{ record.size }} {{ record.first-name }} {{ record['email'] }}"}`},
		{"record", "{% comment %}{{ record.typo }}{% endcomment %}{}"},
		{"record", `{% for record in record.items %}{{ record.sku }}{% endfor %}{}`},
		{"batch", `[{% for r in records %}{{ r.email | json }},{% endfor %}{{ records.size }}, {{ records | size }}]`},
		{"record", `{% assign r = record.email %}{"x": "{{ r.size }}"}`},
		{"record", `{% assign r = record %}{"x": "{{ r.email }} {{ r.size }}"}`},
	} {
		if errs := check(tc.mode, tc.body); len(errs) > 0 {
			t.Errorf("%s: refused: %v", tc.body, errs)
		}
	}
}

// A JSON body made invalid by a value says what to do, within the first KiB a rejection keeps,
// before the rendered line it quotes: a value written between quotes without json breaks the
// body only for the records whose value holds a quote, a backslash or a control character.
func TestInvalidJSONBodySaysToUseJSON(t *testing.T) {
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Body: `{"pad": "{{ record.pad }}", "name": "{{ record.name }}"}`}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(`{"pad": "` + strings.Repeat("x", 2000) + `", "name": "say \"hi\""}`)})
	if err == nil || !strings.Contains(truncate(err.Error(), rejectionBodyLimit), "through the json filter, {{ ... | json }}") {
		t.Errorf("error %.300q…, want it to say, within its first KiB, to put values in through json", err)
	}
}

// sort orders numbers as numbers: a decimal field (its exact text) and an integer past an int
// were compared as text by Liquid (9.5, 10.25, 10 sorted as 10.25, 9.5, 10), and against an
// integer not at all. Records, a JSON column's objects and a list of numbers are sorted so, each
// kept as it is.
func TestSortComparesNumbersAsNumbers(t *testing.T) {
	recs := [][]byte{[]byte(`{"id":1,"price":9.5}`), []byte(`{"id":2,"price":10.25}`), []byte(`{"id":3,"price":10}`),
		[]byte(`{"id":4,"price":-1.5}`), []byte(`{"id":5,"price":100}`), []byte(`{"id":6,"price":99999999999999999999}`)}
	for _, tc := range []struct{ src, want string }{
		{`{{ records | sort: "price" | map: "id" | join: "," }}`, "4,1,3,2,5,6"},
		{`{{ records | map: "price" | sort | json }}`, "[-1.5,9.5,10,10.25,100,99999999999999999999]"},
		{`{{ records | sort: "id" | map: "id" | join: "," }} {{ "c,a,b" | split: "," | sort | join }}`, "1,2,3,4,5,6 a b c"},
	} {
		rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, Body: tc.src}}, Vars{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := rs.Build(nil, &Meta{}, controlplane.OpNew, recs)
		if err != nil || string(b.Body) != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.src, b.Body, err, tc.want)
		}
	}
	got, err := render(t, `{{ record.items | sort: "price" | map: "sku" | join: "," }}`,
		`{"items": [{"sku": "a", "price": 10.5}, {"sku": "b", "price": 9.99}, {"sku": "c", "price": 10}]}`)
	if want := "b,c,a"; err != nil || got != want {
		t.Errorf("a JSON column's objects sorted by price = %q (%v), want %q", got, err, want)
	}
}

// A JSON column's key named record (or records) is not a record: {{ record.payload.record.id }}
// reads the field payload, and was refused as a read of a field id the record does not have.
func TestMissingFieldIgnoresNestedKeysNamedRecord(t *testing.T) {
	sample := []byte(`{"id":42,"payload":{"record":{"sku":"s"},"records":[{"sku":"t"}]}}`)
	for _, tc := range []struct{ mode, body string }{
		{"record", `{"x": {{ record.payload.record.sku | json }}, "y": {{ record.payload.record["sku"] | json }}}`},
		{"batch", `[{% for r in records %}{{ r.payload.records[0].sku | json }},{% endfor %}0]`},
	} {
		r := &controlplane.OperationRequest{Method: "POST", Path: "/c", Body: tc.body}
		if errs := CheckRequests(&controlplane.RequestSpec{Mode: tc.mode, New: r}, Vars{}, sample, []byte(`{"id":42}`)); len(errs) > 0 {
			t.Errorf("%s: refused: %v", tc.body, errs)
		}
	}
}

// A number in the template that Liquid's lexer cannot read (an integer past 2⁶³) is an error of
// the template: it made the lexer panic, which took terraform plan, or the runner, down.
func TestTemplateLargeIntegerLiteralIsAnError(t *testing.T) {
	for _, src := range []string{`{{ 99999999999999999999 | plus: 1 }}`, `{% if record.n > 99999999999999999999 %}x{% endif %}`} {
		_, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, Body: src}}, Vars{})
		if err == nil || !strings.Contains(err.Error(), "between quotes") {
			t.Errorf("%s: %v, want an error saying to write it between quotes", src, err)
		}
	}
	if got, err := render(t, `{{ "99999999999999999999" | plus: 1 }}`, `{}`); err != nil || got != "100000000000000000000" {
		t.Errorf("a large integer between quotes: %q, %v", got, err)
	}
}

// A variable assigned a record reads its fields as the record does. Before, it was a Go struct to
// Liquid, each of its fields read nothing, and the request sent them empty:
// {% assign r = record %}{{ r.name }} rendered "".
func TestAssignedRecordReadsItsFields(t *testing.T) {
	rec := `{"id": 7, "name": "Ann", "o": {"x": 1, "y": 2}}`
	for _, tc := range []struct{ src, want string }{
		{`{% assign r = record %}{{ r.name }} {{ r.id | plus: 1 }} {{ r["name"] }} {{ r.o.x }}`, "Ann 8 Ann 1"},
		{`{% assign r = record %}{% if r == record %}same{% endif %} {% if r.name == "Ann" %}Ann{% endif %}`, "same Ann"},
		{`{% assign r = record %}{{ r | json }}`, rec},
		// size counts a record's, and an object's, keys (Liquid gave 0).
		{`{{ record | size }} {{ record.o | size }} {{ record.name | size }}`, "3 2 3"},
	} {
		got, err := render(t, tc.src, rec)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.src, got, err, tc.want)
		}
	}
	a, b := `{"id": 1, "name": "Ann", "status": "active"}`, `{"id": 2, "name": "Bob", "status": null}`
	for _, tc := range []struct{ src, want string }{
		{`{% assign f = records | first %}{{ f.name }} {% assign l = records.last %}{{ l.name }}`, "Ann Bob"},
		{`{% for r in records %}{% assign z = r %}{{ z.name }};{% endfor %}`, "Ann;Bob;"},
		// Shopify's where, which Liquid lacks.
		{`{{ records | where: "status", "active" | map: "name" | join: "," }}`, "Ann"},
		{`{{ records | where: "id", 2 | map: "name" | join: "," }} {{ records | where: "status" | size }}`, "Bob 1"},
	} {
		rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, Body: tc.src}}, Vars{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(a), []byte(b)})
		if err != nil || string(got.Body) != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.src, got.Body, err, tc.want)
		}
	}
}

// sort_natural compares texts, a number by its text, as Shopify's does. Before, a list or a field
// holding a number failed the render: "interface conversion: interface {} is int, not string".
func TestSortNaturalOfNumbers(t *testing.T) {
	rec := `{"list": [3.5, 10, "b", "A"], "nums": [10, 9, 100], "objs": [{"n": 2}, {"n": 10}]}`
	for _, tc := range []struct{ src, want string }{
		{`{{ record.list | sort_natural | json }}`, `[10,3.5,"A","b"]`},
		{`{{ record.nums | sort_natural | json }} {{ record.nums | sort | json }}`, `[10,100,9] [9,10,100]`},
		{`{{ record.objs | sort_natural: "n" | map: "n" | join: "," }}`, `10,2`},
	} {
		got, err := render(t, tc.src, rec)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.src, got, err, tc.want)
		}
	}
}

// Comparing two objects (or lists holding one) with ==, contains or case/when made Go's == panic
// on maps inside Liquid, which took the runner, or terraform plan, down; since a variable
// assigned a record holds it, {% assign r = record %}{% if r == record.o %} did too. It is the
// template's error instead, at run and at plan.
func TestComparingObjectsIsAnError(t *testing.T) {
	rec := `{"id": 7, "o": {"x": 1}, "m": {"x": 1}, "l": [{"a": 1}]}`
	for _, src := range []string{
		`{% if record.o == record.m %}EQ{% endif %}`,
		`{% if record == record.o %}EQ{% endif %}`,
		`{% assign r = record %}{% if r == record.o %}EQ{% endif %}`,
		`{% if record.l == record.l %}EQ{% endif %}`,
		`{% if record.l contains record.o %}C{% endif %}`,
		`{% case record.o %}{% when record.m %}W{% endcase %}`,
	} {
		var got string
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			got, err = render(t, src, rec)
		}()
		if err == nil || !strings.Contains(err.Error(), "cannot be compared") {
			t.Errorf("%s = %q (%v), want an error saying an object cannot be compared", src, got, err)
		}
	}
	r := &controlplane.OperationRequest{Method: "POST", Path: "/c", Body: `{% if record.o == record.m %}{% endif %}{}`}
	var errs []*SpecError
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("plan: panic: %v", r)
			}
		}()
		errs = CheckRequests(&controlplane.RequestSpec{Mode: "record", New: r}, Vars{}, []byte(rec), []byte(`{"id":7}`))
	}()
	if len(errs) == 0 || !strings.Contains(errs[0].Error(), "cannot be compared") {
		t.Errorf("plan: %v, want the template refused saying an object cannot be compared", errs)
	}
}

// A name that holds something besides a record is not read as one at plan: records itself (the
// list) assigned to a name, a name assigned a record and elsewhere a list's item, an alias of a
// loop's item, a loop over a list a record holds (records.first.items). Each was refused as a
// misspelt field ("rs.first names no field") though it renders what it should.
func TestCheckRequestsAcceptsNamesThatHoldNoRecord(t *testing.T) {
	sample := []byte(`{"id":42,"status":"active","email":"sample email","items":[{"sku":"a"}]}`)
	check := func(mode, body string) []*SpecError {
		r := &controlplane.OperationRequest{Method: "POST", Path: "/c", Body: body}
		return CheckRequests(&controlplane.RequestSpec{Mode: mode, New: r}, Vars{}, sample, []byte(`{"id":42}`))
	}
	for _, tc := range []struct{ mode, body string }{
		{"batch", `{% assign rs = records %}[{{ rs.first.email | json }}, {{ rs[0].email | json }}, {{ rs.last.id }}]`},
		{"batch", `{% assign records_active = records | where: "status", "active" %}{% assign a = records_active %}[{{ a.first.email | json }}]`},
		{"record", `{% assign r = record %}{% for r in record.items %}{% assign s = r %}{{ s.sku | json }}{% endfor %}`},
		{"record", `{% assign r = record %}[{{ r.id }}{% for item in record.items %}{% assign r = item %}, {{ r.sku | json }}{% endfor %}]`},
		{"batch", `[{% for x in records.first.items %}{{ x.sku | json }}{% endfor %}]`},
		{"batch", `[{% for r in records %}{% assign z = r %}{{ z.email | json }}, {% endfor %}{% for r in records.first.items %}{% assign z = r %}{{ z.sku | json }}{% endfor %}]`},
		{"record", `{% assign a = b %}{% assign b = a %}{% if a.foo %}x{% endif %}{}`}, // names that never hold a record
	} {
		if errs := check(tc.mode, tc.body); len(errs) > 0 {
			t.Errorf("%s: refused: %v", tc.body, errs)
		}
	}
	// The aliases of a record are still checked.
	for _, tc := range []struct{ mode, body, want string }{
		{"batch", `[{% for r in records limit: 2 %}{% assign z = r %}{{ z.emial | json }}{% endfor %}]`, "z.emial names no field"},
		{"batch", `{% assign f = records | first %}{% assign g = f %}[{{ g.emial | json }}]`, "g.emial names no field"},
	} {
		if errs := check(tc.mode, tc.body); len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.body, errs, tc.want)
		}
	}
}

// sort_natural of a list holding null, or by a field some records or objects lack or hold null
// in (a nullable column, a json column's objects), failed the render ("interface conversion:
// interface {} is nil, not string", "reflect: call of reflect.Value.CanInterface on zero
// Value"): the whole batch was rejected. Null and a missing field sort first, as sort puts them.
func TestSortNaturalOfNull(t *testing.T) {
	rec := `{"l": ["b", null, "A"], "n": [null, "b"], "o": [{"k": "b"}, {"k": null}, {"x": 1}, {"k": "a"}]}`
	for _, tc := range []struct{ src, want string }{
		{`{{ record.l | sort_natural | json }}`, `[null,"A","b"]`},
		{`{{ record.n | sort_natural | json }}`, `[null,"b"]`},
		{`{{ record.o | sort_natural: "k" | map: "k" | json }}`, `[null,null,"a","b"]`},
	} {
		got, err := render(t, tc.src, rec)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.src, got, err, tc.want)
		}
	}
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
		New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw,
			Body: `{{ records | sort_natural: "name" | map: "id" | join: "," }}`}}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(`{"id": 1, "name": "bo"}`),
		[]byte(`{"id": 2, "name": null}`), []byte(`{"id": 3}`), []byte(`{"id": 4, "name": "Al"}`)})
	if err != nil || string(got.Body) != "2,3,4,1" {
		t.Errorf("records sorted by a field some hold null in or lack: %q (%v), want 2,3,4,1", got.Body, err)
	}
}

// where: "f", nil is where: "f" (Shopify's), which Liquid failed to call ("can't convert
// <nil>(<nil>) to type interface {}"); an object or a list to compare with is refused saying so,
// not with Go's "comparing uncomparable type".
func TestWhereNilAndObjects(t *testing.T) {
	a, b := `{"id": 1, "status": "active", "o": {"x": 1}}`, `{"id": 2, "status": null, "o": {"x": 1}}`
	for _, tc := range []struct{ src, want, err string }{
		{`{{ records | where: "status", nil | map: "id" | join: "," }}`, "1", ""},
		{`{{ records | where: "o", records.first.o | size }}`, "", "not an object or a list"},
		{`{{ records | where: "id", 1, 2 | size }}`, "", "at most one value"},
	} {
		rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, Body: tc.src}}, Vars{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(a), []byte(b)})
		if tc.err == "" && (err != nil || string(got.Body) != tc.want) || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s = %q (%v), want %q %s", tc.src, got.Body, err, tc.want, tc.err)
		}
	}
}

// TestRecordSizeOfAFieldNamedSize pins what docs/destinations.md says of record.size: a field
// named size is read as that field, and `| size` counts the fields.
func TestRecordSizeOfAFieldNamedSize(t *testing.T) {
	for src, want := range map[string]string{
		`{{ record.size }} {{ record | size }}`: "99 2",
		`{{ record.id }} {{ record | size }}`:   "1 2",
	} {
		if got, err := buildFmt(t, "raw", src, `{"id": 1, "size": 99}`); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
	if got, err := buildFmt(t, "raw", `{{ record.size }}`, `{"id": 1, "n": 2}`); err != nil || got != "2" {
		t.Errorf("record.size without a size field = %q, %v; want 2", got, err)
	}
}

// TestArithmeticOfANumberPastFloat64 says why a number written with an exponent past float64's
// range (1e400, which a json column can hold) cannot be computed with, instead of calling it
// "not a number".
func TestArithmeticOfANumberPastFloat64(t *testing.T) {
	for _, n := range []string{"1e400", "-1E+400"} {
		_, err := buildFmt(t, "raw", `{{ record.p.n | plus: 1 }}`, `{"p": {"n": `+n+`}}`)
		if err == nil || strings.Contains(err.Error(), "is not a number") || !strings.Contains(err.Error(), "too large") {
			t.Errorf("%s | plus: 1: %v; want it said too large", n, err)
		}
	}
}

// A text column's value is not known at plan: its sample text ("sample code") stands for any
// text the column holds, numbers and dates among them, so a template that reads a number or a
// date from it passes the plan (it failed there for every such template: "\"sample code\" is
// not a number"), through filters that keep the text (strip, upcase, remove, append) too. What
// is no sample text is still refused, and a run reads the record's real text as before.
func TestCheckRequestsSampleTextIsAnyNumberOrDate(t *testing.T) {
	sample := []byte(`{"id":"sample id","code":"sample code","n":42}`)
	check := func(body string) []*SpecError {
		return CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Body: body}}, Vars{Key: "id"}, sample, []byte(`{"id":"sample id"}`))
	}
	for _, body := range []string{
		`{"n": {{ record.code | plus: 0 }}}`,
		`{"n": {{ record.code | strip | remove: "ID-" | times: 100 }}}`,
		`{"n": {{ 10 | minus: record.code }}}`,
		`{"n": {{ record.code | round: 2 }}, "m": {{ record.code | abs }}}`,
		`{% assign c = record.code | upcase | plus: 0 %}{"big": {% if c > 100 %}true{% else %}false{% endif %}}`,
		`{"d": {{ record.code | date: "%Y-%m-%d" | json }}, "t": {{ record.code | unix }}, "i": {{ record.code | iso8601 | json }}}`,
		`{"d": {{ "ID-" | append: record.code | remove: "ID-" | date: "%Y" }}}`,
	} {
		if errs := check(body); len(errs) > 0 {
			t.Errorf("%s: refused at plan: %v", body, errs)
		}
	}
	for body, want := range map[string]string{
		`{"n": {{ "abc" | plus: 0 }}}`:          `abc\" is not a number`,
		`{"d": {{ "yesterday" | date: "%Y" }}}`: `can't convert string(yesterday)`,
	} {
		errs := check(body)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), want) {
			t.Errorf("%s: %v, want an error saying %s", body, errs, want)
		}
	}
	// A run renders the record's own text: one that is no number is still an error of the record.
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Body: `{"n": {{ record.code | plus: 0 }}}`}}, Vars{Key: "id"})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(`{"id":"a","code":" 0042 "}`)}); err != nil || string(b.Body) != `{"n": 42}` {
		t.Errorf("code \" 0042 \": %q, %v, want {\"n\": 42}", b.Body, err)
	}
	if _, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(`{"id":"a","code":"sample code"}`)}); err == nil || !strings.Contains(err.Error(), "is not a number") {
		t.Errorf("a run's text \"sample code\": %v, want it refused as no number", err)
	}
}

// A text a text filter cuts from a sample text (slice, truncate, a word of split, what remove or
// replace leaves) stands for any text as the sample text does: the column's real text "12 units"
// gives the number "12" where "sample code" gives "sample". The plan refused each of these
// templates, which render every record whose text holds the number or the date.
func TestCheckRequestsTextCutFromSampleText(t *testing.T) {
	sample := []byte(`{"id":"sample id","code":"sample code","n":42}`)
	spec := func(body string) *controlplane.RequestSpec {
		return &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, ContentType: "text/plain", Body: body}}
	}
	for body, code := range map[string]string{
		`{{ record.code | slice: 0, 3 | plus: 1 }}`:                     "12345",
		`{{ record.code | split: " " | first | plus: 0 }}`:              "12 units",
		`{{ record.code | split: " " | last | times: 2 }}`:              "qty 12",
		`{{ record.code | split: "," | join: "" | plus: 0 }}`:           "1,200",
		`{{ record.code | remove: " " | plus: 0 }}`:                     "1 200",
		`{{ record.code | replace: " ", "" | round }}`:                  "1 200.5",
		`{{ record.code | remove_first: "EUR " | plus: 0 }}`:            "EUR 12",
		`{{ record.code | truncate: 10, "" | date: "%Y" }}`:             "2024-01-02T03:04:05Z",
		`{{ record.code | slice: -10, 10 | unix }}`:                     "due 2024-01-02",
		`{{ record.code | truncatewords: 1, "" | iso8601 }}`:            "2024-01-02 later",
		`{{ record.code | strip_newlines | url_decode | abs }}`:         "-7",
		`{% assign p = record.code | split: "-" %}{{ p[0] | plus: 0 }}`: "7-a",
	} {
		if errs := CheckRequests(spec(body), Vars{Key: "id"}, sample, []byte(`{"id":"sample id"}`)); len(errs) > 0 {
			t.Errorf("%s: refused at plan: %v", body, errs)
		}
		rs, err := CompileRequests(spec(body), Vars{Key: "id"})
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := json.Marshal(map[string]string{"id": "a", "code": code})
		if _, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{rec}); err != nil {
			t.Errorf("%s of %q: %v", body, code, err)
		}
	}
	// What a filter makes of a text that is no sample text is read as it is.
	errs := CheckRequests(spec(`{{ "abc def" | split: " " | first | plus: 0 }}`), Vars{Key: "id"}, sample, []byte(`{"id":"sample id"}`))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `abc\" is not a number`) {
		t.Errorf("a literal's word: %v, want it refused as no number", errs)
	}
}

// Only the sample record's own texts stand for any number or date, and what filters that keep
// them possible ones make of them: a text containing "sample " did, so the plan passed
// templates that fail for every record at run (a text with a letter appended or prepended is no
// number, nor is a text the template wrote). Their neighbours that do render records pass still.
func TestCheckRequestsOnlySampleTextsStandForNumbers(t *testing.T) {
	sample := []byte(`{"id":"sample id","code":"sample code","day":"sample day","n":42}`)
	spec := func(body string) *controlplane.RequestSpec {
		return &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, ContentType: "text/plain", Body: body}}
	}
	for body, want := range map[string]string{
		`{{ record.code | append: "x" | plus: 0 }}`:          `sample codex\" is not a number`,
		`{{ record.code | prepend: "ID-" | plus: 0 }}`:       `ID-sample code\" is not a number`,
		`{{ "sample x" | plus: 1 }}`:                         `sample x\" is not a number`,
		`{{ "a sample code" | plus: 1 }}`:                    `a sample code\" is not a number`,
		`{{ record.day | append: " o'clock" | date: "%Y" }}`: `can't convert`,
		`{{ record.code | prepend: "$" | times: 2 }}`:        `is not a number`,
		`{{ record.code | append: "kg" | round }}`:           `is not a number`,
		`{{ record.day | append: " UTC" | plus: 0 }}`:        `sample day UTC\" is not a number`,
		`{{ record.code | append: "x" | date: "%Y" }}`:       `can't convert`,
	} {
		errs := CheckRequests(spec(body), Vars{Key: "id"}, sample, []byte(`{"id":"sample id"}`))
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), want) {
			t.Errorf("%s: %v, want it refused: %s", body, errs, want)
		}
	}
	// Each renders a record whose text holds the number or the date.
	for body, code := range map[string]string{
		`{{ record.code | plus: 0 }}`:                                                                           "12",
		`{{ record.code | date: "%Y" }}`:                                                                        "2024-01-02",
		`{{ record.code | slice: 0, 2 | plus: 0 }}`:                                                             "12ab",
		`{{ record.code | split: " " | first | plus: 0 }}`:                                                      "12 units",
		`{{ record.code | upcase | strip | plus: 0 }}`:                                                          " 12 ",
		`{{ record.code | append: "00" | plus: 0 }}`:                                                            "12",
		`{{ record.code | prepend: "-" | plus: 0 }}`:                                                            "12",
		`{{ record.code | append: "T00:00:00Z" | date: "%s" }}`:                                                 "2024-01-02",
		`{{ record.code | append: "-01" | date: "%Y" }}`:                                                        "2024-01",
		`{% assign f = record.code | append: " " | append: record.day %}{{ f | split: " " | first | plus: 0 }}`: "12",
		`{{ record.code | append: "x" | split: "x" | first | plus: 0 }}`:                                        "12",
		`{% capture c %}ID-{{ record.code }}{% endcapture %}{{ c | slice: 3, 2 | plus: 0 }}`:                    "12",
		`{{ record.code | prepend: "ID-" | slice: 3, 2 | plus: 0 }}`:                                            "12",
		`{{ record.code | append: "kg" | truncate: 2, "" | plus: 0 }}`:                                          "12",
		`{{ record.code | append: " UTC" | date: "%Y" }}`:                                                       "2024-01-02 03:04:05",
		`{{ record.code | prepend: "Mon, " | date: "%Y" }}`:                                                     "02 Jan 2006 15:04:05 -0700",
		`{{ record.code | append: " 2024" | date: "%Y" }}`:                                                      "Jan 2",
		`{{ record.code | append: "e3" | plus: 0 }}`:                                                            "1.5",
		`{{ record.code | append: record.day | plus: 0 }}`:                                                      "12",
		`{% assign c = record.code %}{{ c | plus: 0 }}`:                                                         "12",
		`{% capture c %}{{ record.code }}{% endcapture %}{{ c | plus: 0 }}`:                                     "12",
		`{{ record.code | default: "0" | plus: 0 }}`:                                                            "12",
		`{{ record.code | append: "x" | remove: "x" | plus: 0 }}`:                                               "12",
		`{{ record.code | append: "x" }}`:                                                                       "12",
		`{{ record.code | prepend: "ID-" | upcase }}`:                                                           "12",
	} {
		if errs := CheckRequests(spec(body), Vars{Key: "id"}, sample, []byte(`{"id":"sample id"}`)); len(errs) > 0 {
			t.Errorf("%s: refused at plan: %v", body, errs)
		}
		rs, err := CompileRequests(spec(body), Vars{Key: "id"})
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := json.Marshal(map[string]string{"id": "a", "code": code, "day": "3"})
		if _, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{rec}); err != nil {
			t.Errorf("%s of %q: %v", body, code, err)
		}
	}
}

// A text holding a record's sample text after a literal ({{ "-" | append: record.code }}, "0." |
// append:) or in a capture ({% capture d %}{{ record.y }}-{{ record.m }}-{{ record.d }}{%
// endcapture %}) was no number nor date at plan once only the sample texts themselves stood for
// one, so templates every record renders were refused; it stands for one when the rest may be
// one's (sampleTexts.mayBe). "ID-" before it, or a letter after it, is still refused.
func TestCheckRequestsSampleTextHeldStandsForNumbers(t *testing.T) {
	sample := []byte(`{"id":"sample id","code":"sample code","y":"sample y","m":"sample m","d":"sample d","day":"sample day"}`)
	spec := func(body string) *controlplane.RequestSpec {
		return &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, ContentType: "text/plain", Body: body}}
	}
	for _, body := range []string{
		`{{ "0" | append: record.code | plus: 0 }}`,
		`{{ "-" | append: record.code | append: ".5" | plus: 0 }}`,
		`{{ "0." | append: record.code | times: 1 }}`,
		`{% assign a = "1" %}{% assign a = a | append: record.code %}{{ a | plus: 0 }}`,
		`{% capture n %}-{{ record.code }}{% endcapture %}{{ n | plus: 0 }}`,
		`{% capture c %}{{ record.y }}{{ record.m }}{% endcapture %}{{ c | plus: 0 }}`,
		`{{ "2024-" | append: record.m | append: "-01" | date: "%s" }}`,
		`{{ record.y | plus: 0 | append: "-" | append: record.m | append: "-01" | date: "%s" }}`,
		`{% capture d %}{{ record.y }}-{{ record.m }}-{{ record.d }}{% endcapture %}{{ d | date: "%s" }}`,
		`{% capture ts %}{{ record.day }}T00:00:00Z{% endcapture %}{{ ts | date: "%s" }}`,
		`{% capture iso %}{{ record.y }}-{{ record.m }}-{{ record.d }}T00:00:00Z{% endcapture %}{{ iso | unix }}`,
	} {
		if errs := CheckRequests(spec(body), Vars{Key: "id"}, sample, []byte(`{"id":"sample id"}`)); len(errs) > 0 {
			t.Errorf("%s: refused at plan: %v", body, errs)
		}
		rs, err := CompileRequests(spec(body), Vars{Key: "id"})
		if err != nil {
			t.Fatal(err)
		}
		rec := []byte(`{"id":"a","code":"12","y":"2024","m":"01","d":"05","day":"2024-01-05"}`)
		if _, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{rec}); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	for _, body := range []string{
		`{% capture n %}ID-{{ record.code }}{% endcapture %}{{ n | plus: 0 }}`,
		`{{ "x" | append: record.code | plus: 0 }}`,
		`{% capture d %}{{ record.day }} o'clock{% endcapture %}{{ d | date: "%Y" }}`,
		`{% capture d %}day {{ record.day }}{% endcapture %}{{ d | unix }}`,
	} {
		if errs := CheckRequests(spec(body), Vars{Key: "id"}, sample, []byte(`{"id":"sample id"}`)); len(errs) != 1 {
			t.Errorf("%s: %v, want it refused", body, errs)
		}
	}
}

// TestCheckRequestsSplitSampleTextHasParts: a sample text split at plan stands for every part a
// column's text may split into. The parts of a US date reordered into an ISO one (MM/DD/YYYY to
// YYYY-MM-DD) render every record at run; at plan the sample text split into one part, p[1] and
// p[2] were empty, and "-sample us-" was refused as no date.
func TestCheckRequestsSplitSampleTextHasParts(t *testing.T) {
	sample := []byte(`{"id":"sample id","us":"sample us","hm":"sample hm"}`)
	spec := func(body string) *controlplane.RequestSpec {
		return &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, ContentType: "text/plain", Body: body}}
	}
	for _, body := range []string{
		`{% assign p = record.us | split: "/" %}{{ p[2] | append: "-" | append: p[0] | append: "-" | append: p[1] | date: "%s" }}`,
		`{% assign p = record.us | split: "/" %}{{ p[2] }}-{{ p[0] }}-{{ p[1] }}`,
		`{% assign p = record.us | split: "/" %}{{ p[2] | plus: 0 }}`,
		`{% assign t = record.hm | split: ":" %}{{ t[0] | times: 60 | plus: t[1] }}`,
		`{% assign p = record.us | split: "/" %}{{ p | size }}`,
	} {
		if errs := CheckRequests(spec(body), Vars{Key: "id"}, sample, []byte(`{"id":"sample id"}`)); len(errs) > 0 {
			t.Errorf("%s: refused at plan: %v", body, errs)
		}
		rs, err := CompileRequests(spec(body), Vars{Key: "id"})
		if err != nil {
			t.Fatal(err)
		}
		rec := []byte(`{"id":"a","us":"12/31/2024","hm":"07:45"}`)
		if _, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{rec}); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	// A literal split is no sample text's: its parts are what they are.
	body := `{% assign p = "a/b" | split: "/" %}{{ p[1] | plus: 0 }}`
	if errs := CheckRequests(spec(body), Vars{Key: "id"}, sample, []byte(`{"id":"sample id"}`)); len(errs) != 1 {
		t.Errorf("%s: %v, want it refused", body, errs)
	}
}

// TestCheckRequestsSplitSampleTextJoined: a sample text's split parts joined again stand for the
// text they were split of, any text. The eight parts a split of a sample text gives at plan
// (splitParts), joined with "-", wrote seven '-', which no date holds: {{ record.day | split: "/"
// | join: "-" | date: "%Y" }}, which reads 2024/01/02 at run, was refused at plan, where before
// the eight parts the one sample text passed. A text with what no number holds joined to it is
// still refused.
func TestCheckRequestsSplitSampleTextJoined(t *testing.T) {
	sample := []byte(`{"id":"sample id","day":"sample day"}`)
	spec := func(body string) *controlplane.RequestSpec {
		return &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, ContentType: "text/plain", Body: body}}
	}
	for body, day := range map[string]string{
		`{{ record.day | split: "/" | join: "-" | date: "%Y" }}`:                                                                                                                  "2024/01/02",
		`{% assign p = record.day | split: "/" %}{{ p | join: "-" | append: "T00:00:00Z" | date: "%s" }}`:                                                                         "2024/01/02",
		`{{ record.day | split: "/" | reverse | join: "-" | date: "%Y" }}`:                                                                                                        "02/01/2024",
		`{% assign p = record.day | split: "/" %}{{ p[2] }}-{{ p[0] }}-{{ p[1] }}`:                                                                                                "01/02/2024",
		`{% assign p = record.day | split: "/" %}{% capture d %}{% for s in p %}{{ s }}{% unless forloop.last %}-{% endunless %}{% endfor %}{% endcapture %}{{ d | date: "%Y" }}`: "2024/01/02",
	} {
		if errs := CheckRequests(spec(body), Vars{Key: "id"}, sample, []byte(`{"id":"sample id"}`)); len(errs) > 0 {
			t.Errorf("%s: refused at plan: %v", body, errs)
		}
		rs, err := CompileRequests(spec(body), Vars{Key: "id"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(`{"id":"a","day":"` + day + `"}`)}); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	for _, body := range []string{
		`{{ record.day | split: "/" | join: "-" | append: "x" | plus: 0 }}`,
		`{{ record.day | split: "/" | join: "x" | prepend: "ID-" | plus: 0 }}`,
		`{% capture d %}{{ record.day }}x{{ record.day }}{% endcapture %}{{ d | plus: 0 }}`,
		`{% assign p = record.day | split: "/" %}{% capture d %}{% for s in p %}{{ s }}x{% endfor %}{% endcapture %}{{ d | plus: 0 }}`,
	} {
		if errs := CheckRequests(spec(body), Vars{Key: "id"}, sample, []byte(`{"id":"sample id"}`)); len(errs) != 1 {
			t.Errorf("%s: %v, want it refused", body, errs)
		}
	}
}
