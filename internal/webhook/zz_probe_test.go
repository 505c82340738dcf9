package webhook

import (
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

func TestZZProbe(t *testing.T) {
	recs := [][]byte{[]byte(`{"email":"a@x","n":2,"ok":true,"tags":["x","y"]}`), []byte(`{"email":"b@x","n":1,"ok":false,"tags":[]}`)}
	for _, src := range []string{
		`{{ records | map: "email" | json }}`,
		`{{ records | where: "ok", true | json }}`,
		`{{ records | where: "ok" | json }}`,
		`{{ records | first | json }}`,
		`{{ records.first.email }}`,
		`{{ records | last | json }}`,
		`{{ records.size }}`,
		`{{ records | reverse | json }}`,
		`{{ records | uniq | json }}`,
		`{{ records | compact | json }}`,
		`{{ records | concat: records | size }}`,
		`{{ records | sort: "n" | map: "email" | json }}`,
		`{{ records | map: "tags" | json }}`,
		`{{ records | map: "email" | join: "," }}`,
		`{% for r in records %}{{ forloop.index }}:{{ r.email }};{% endfor %}`,
		`{% for r in records limit:1 %}{{ r.email }}{% endfor %}`,
		`{{ records[0] | json }}`,
		`{% assign s = records | sort_natural: "email" %}{{ s | json }}`,
		`{{ records | where_exp: "r", "r.n > 1" | json }}`,
		`{{ records[0].tags | json }}`,
		`{{ records | map: "n" | sum }}`,
	} {
		rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
			New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, Body: src}}, Vars{})
		if err != nil {
			t.Logf("%s: compile %v", src, err)
			continue
		}
		b, err := rs.Build(nil, &Meta{}, controlplane.OpNew, recs)
		t.Logf("%s => %q %v", src, b.Body, err)
	}
}
