//go:build cgo

package warehouse

import (
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
)

// TestDuckDBJSONDepthCountsTheNesting: a JSON value is sent as JSON when the whole value sent
// nests at most jsondepth.Value levels, the LISTs, ARRAYs, STRUCTs, MAPs and UNIONs around it
// counted, and else as a string of its text: at Max-1, Max and Max+1 levels, alone and inside.
func TestDuckDBJSONDepthCountsTheNesting(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	for _, c := range []struct {
		name   string
		expr   string // %[1]s: the JSON's text
		levels int    // levels around it in the value sent
	}{
		{"JSON", "'%[1]s'::JSON", 0},
		{"LIST", "['%[1]s'::JSON, NULL]", 1},
		{"ARRAY", "['%[1]s'::JSON]::JSON[1]", 1},
		{"STRUCT", "{'a': '%[1]s'::JSON}", 1},
		{"LIST of STRUCT", "[{'a': '%[1]s'::JSON}]", 2},
		{"MAP", "MAP {'a': '%[1]s'::JSON}", 1},
		{"MAP by INTEGER", "MAP {1: '%[1]s'::JSON}", 2},
		{"UNION", "union_value(j := '%[1]s'::JSON)::UNION(j JSON, i INTEGER)", 1},
		{"LIST of LIST", "[['%[1]s'::JSON]]", 2},
	} {
		for _, n := range []int{jsondepth.Value - 2, jsondepth.Value - 1, jsondepth.Value, jsondepth.Value + 1} {
			q := "SELECT 1 AS id, " + strings.ReplaceAll(c.expr, "%[1]s", nested(n)) + " AS v"
			objs, _ := readMySQL(t, src, q, "id")
			if len(objs) != 1 {
				t.Fatalf("%s: %d rows", c.name, len(objs))
			}
			v, okPrefix := strings.CutPrefix(objs[0], `{"id":1,"v":`)
			v, okSuffix := strings.CutSuffix(v, "}")
			if !okPrefix || !okSuffix || !validJSON([]byte(v)) && jsondepth.Within([]byte(v), jsondepth.Value) {
				t.Fatalf("%s, JSON %d levels deep in %d: the record (%d bytes) is not JSON", c.name, n, c.levels, len(objs[0]))
			}
			if !jsondepth.Within([]byte(v), jsondepth.Value) {
				t.Errorf("%s, JSON %d levels deep in %d: sent deeper than %d levels", c.name, n, c.levels, jsondepth.Value)
			}
			asJSON := n+c.levels <= jsondepth.Value
			if got := strings.Contains(v, `"[`); got == asJSON {
				t.Errorf("%s, JSON %d levels deep in %d: sent as a string: %v, want %v", c.name, n, c.levels, got, !asJSON)
			}
		}
	}
}
