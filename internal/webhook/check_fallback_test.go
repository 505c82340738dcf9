package webhook

import (
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// The request given for only one of `new` and `changed` is sent for both (OperationFor), its
// templates seeing `operation` as the record's: the plan renders it for both too, so that a
// template that fails only for the other operation is refused at plan, not at run for every
// record of it. An append sync sends only `new`: its `new` is not rendered as `changed`.
func TestCheckRequestsRendersTheRequestGivenForBoth(t *testing.T) {
	broken := `{% if operation == "changed" %}{"a": {% else %}{"a": 1}{% endif %}`
	sample := []byte(`{"id":1}`)
	for _, tc := range []struct {
		behavior string
		spec     *controlplane.RequestSpec
		wantOp   string // "": no error
	}{
		{controlplane.BehaviorUpdateOrCreate, &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Body: broken}}, controlplane.OpNew},
		{controlplane.BehaviorMirror, &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
			New:     &controlplane.OperationRequest{Method: "POST", Body: broken},
			Deleted: &controlplane.OperationRequest{Method: "DELETE"}}, controlplane.OpNew},
		{controlplane.BehaviorAppend, &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "POST", Body: broken}}, ""},
		{controlplane.BehaviorUpdateOrCreate, &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			Changed: &controlplane.OperationRequest{Method: "PUT", Body: strings.ReplaceAll(broken, `"changed"`, `"new"`)}},
			controlplane.OpChanged},
	} {
		errs := CheckRequestsFor(tc.behavior, tc.spec, Vars{}, sample, sample)
		switch {
		case tc.wantOp == "" && len(errs) > 0:
			t.Errorf("%s: %v, want no error", tc.behavior, errs[0])
		case tc.wantOp != "" && (len(errs) != 1 || errs[0].Operation != tc.wantOp || errs[0].Field != "body" ||
			!strings.Contains(errs[0].Error(), "not valid JSON")):
			t.Errorf("%s: %v, want the %s request's body refused as rendered for the other operation", tc.behavior, errs, tc.wantOp)
		}
	}
}
