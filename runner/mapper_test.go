package runner

import (
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

func TestDeletedKeyJSON(t *testing.T) {
	cols := []controlplane.Column{{Name: "id", Type: "int8"}, {Name: "code", Type: "text"}}
	for _, tc := range []struct {
		key, mapped string
		mappings    []controlplane.Mapping
		value, want string
	}{
		{key: "id", value: "42", want: `{"id":42}`},
		{key: "id", value: "-7", want: `{"id":-7}`},
		{key: "code", value: "42", want: `{"code":"42"}`},
		{key: "code", value: `a"b`, want: `{"code":"a\"b"}`},
		{key: "id", mappings: []controlplane.Mapping{{From: "id", To: "user_id"}}, value: "1", want: `{"user_id":1}`},
		{key: "id", mappings: []controlplane.Mapping{{From: "code", To: "c"}}, value: "1", want: `{"id":1}`},
	} {
		m, err := newMapper(cols, tc.mappings, tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(m.appendDeleted(nil, []byte(tc.value))); got != tc.want {
			t.Errorf("key %s=%s mappings %v: %s, want %s", tc.key, tc.value, tc.mappings, got, tc.want)
		}
	}
	if _, err := newMapper(cols, []controlplane.Mapping{{From: "gone", To: "x"}}, "id"); err == nil {
		t.Errorf("a mapping from a missing column was accepted")
	}
}
