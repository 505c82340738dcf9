package webhook

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A record's JSON may hold line breaks between its tokens: Postgres's json type (and DuckDB's)
// keeps a value's text as written, and the runner copies valid JSON text as it is. A body of one
// record per line (ndjson, or a raw body that writes `{{ r | json }}` per line) must still carry
// each record on one line: split, the lines of one record are other records to the endpoint
// (`{"id":2}` below, a value of record 1), or are refused.
func TestRecordsStayOnOneLine(t *testing.T) {
	records := [][]byte{[]byte("{\"id\":1,\"j\":[\r\n{\"id\":2}\n]}"), []byte(`{"id":3,"s":"a\nb"}`)}
	for _, tc := range []struct {
		name string
		r    *controlplane.OperationRequest
	}{
		{"ndjson", &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatNDJSON}},
		{"raw lines", &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw,
			ContentType: "application/x-ndjson", Body: "{% for r in records %}{{ r | json }}\n{% endfor %}"}},
		{"raw lines of record", &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw,
			ContentType: "application/x-ndjson", Body: "{% for r in records %}{{ r }}\n{% endfor %}"}},
		{"json list", &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw,
			ContentType: "text/plain", Body: "{{ records | json }}\n"}},
	} {
		rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeBatch, New: tc.r}, Vars{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := rs.Build(nil, &Meta{}, controlplane.OpNew, records)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		lines := bytes.Split(bytes.TrimSuffix(b.Body, []byte("\n")), []byte("\n"))
		want := len(records)
		if tc.name == "json list" {
			want = 1
		}
		if len(lines) != want {
			t.Errorf("%s: body %q has %d lines, want %d", tc.name, b.Body, len(lines), want)
			continue
		}
		for _, l := range lines {
			if !json.Valid(l) || bytes.IndexByte(l, '\r') >= 0 {
				t.Errorf("%s: line %q is not one JSON value", tc.name, l)
			}
		}
	}
}
