package webhook

import (
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A json, jsonb, STRUCT or MAP column's shape is not known at plan: its sample value is
// SampleObject, and a template reading into it (a field, a loop over a list in it) passed runs
// but was refused at plan ("json was given an undefined value"), so a sync whose endpoint wants
// a field of a JSON column could not be applied at all. The strict checks now read any field or
// item of it as anyValue; a top-level field that is not in the record is still refused, and runs
// never see anyValue, even for a record whose value happens to be SampleObject.
func TestPlanReadsIntoAJSONColumn(t *testing.T) {
	sample := []byte(`{"id":42,"payload":` + SampleObject + `,"tags":["sample"]}`)
	deleted := []byte(`{"id":42}`)
	for _, tc := range []struct {
		mode, ctype, path, body, refused string
	}{
		{controlplane.RequestModeRecord, "", "/c/{{ record.id }}", `{"customer": {{ record.payload.customer_id | json }}}`, ""},
		{controlplane.RequestModeRecord, "", "/c/{{ record.payload.account.id | url_encode }}", `{"n": {{ record.payload.amount }}, "s": "{{ record.payload.name }}"}`, ""},
		{controlplane.RequestModeRecord, "", "/c", `{"items": [{% for i in record.payload.items %}{"sku": {{ i.sku | json }}, "q": {{ i.qty }}}{% unless forloop.last %},{% endunless %}{% endfor %}]}`, ""},
		{controlplane.RequestModeRecord, "", "/c", `{"h": "{{ record.payload.email | downcase | sha256 }}", "t": {{ record.tags | json }}}`, ""},
		{controlplane.RequestModeRecord, "", "/c/{{ record.payload.n | plus: 1 }}", `{"cents": {{ record.payload.amount | times: 100 | round }}}`, ""},
		{controlplane.RequestModeBatch, "", "/c", `[{% for r in records %}{{ r.payload.a.b.c | json }}{% unless forloop.last %},{% endunless %}{% endfor %}]`, ""},
		// A typo in a field of the record itself is still a typo.
		{controlplane.RequestModeRecord, "", "/c", `{"p": {{ record.paylaod.customer_id | json }}}`, "record.paylaod names no field"},
		{controlplane.RequestModeRecord, "", "/c", `{"i": {{ record.idd | json }}}`, "record.idd names no field"},
	} {
		r := &controlplane.OperationRequest{Method: "POST", Path: tc.path, Body: tc.body}
		errs := CheckRequests(&controlplane.RequestSpec{Mode: tc.mode, New: r}, Vars{}, sample, deleted)
		switch {
		case tc.refused == "" && len(errs) > 0:
			t.Errorf("%s %s: refused at plan: %v", tc.path, tc.body, errs[0])
		case tc.refused != "" && (len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.refused)):
			t.Errorf("%s %s: %v, want it refused saying %q", tc.path, tc.body, errs, tc.refused)
		}
	}
	// A run reads a record's values as they are: a field missing from a JSON value that is
	// SampleObject is absent (null), not anyValue.
	got, err := render(t, `{{ record.payload.customer_id | json }} {{ record.payload | json }}`, `{"payload":`+SampleObject+`}`)
	if err != nil || got != "null "+SampleObject {
		t.Errorf("a run's render = %q (%v), want %q", got, err, "null "+SampleObject)
	}
}

// A list of JSON-shaped values (jsonb[], a DuckDB STRUCT(...)[]) is sampled as a list of one
// SampleObject, which the strict checks read as a list of one anyValue.
func TestPlanReadsIntoAListOfJSON(t *testing.T) {
	sample := []byte(`{"id":42,"lines":[` + SampleObject + `]}`)
	r := &controlplane.OperationRequest{Method: "POST", Path: "/c",
		Body: `{"skus": [{% for l in record.lines %}{{ l.sku | json }}{% unless forloop.last %},{% endunless %}{% endfor %}], "first": {{ record.lines.first.price }}}`}
	if errs := CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord, New: r}, Vars{}, sample, []byte(`{"id":42}`)); len(errs) > 0 {
		t.Errorf("refused at plan: %v", errs[0])
	}
}
