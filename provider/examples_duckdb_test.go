//go:build cgo

package provider

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"

	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

func init() {
	exampleCases = append(exampleCases, exampleCase{
		dir: "parquet",
		setup: func(t *testing.T, e *testEnv, hook string) config.Variables {
			// The header's file, written by the DuckDB built in instead of its CLI.
			cmd := exampleComment(t, "parquet", "A Parquet file to try it with")
			m := regexp.MustCompile(`(?s)^duckdb -c "(.*)"$`).FindStringSubmatch(cmd)
			if m == nil {
				t.Fatalf("examples/parquet/main.tf: the header's command is not duckdb -c \"...\": %s", cmd)
			}
			path := filepath.Join(t.TempDir(), "users.parquet")
			warehousetest.NewDuckDBFile(t, strings.Replace(m[1], "'users.parquet'", "'"+path+"'", 1))
			return config.Variables{"parquet_path": config.StringVariable(path), "webhook_url": config.StringVariable(hook + "/hooks/backflow")}
		},
		check: func(t *testing.T, got map[string]exampleRun) {
			r := only(got)
			checkRecords(t, "parquet", r.recs, 1000, "changed", "full_name paid unique_id")
			if len(r.reqs) != 10 { // batch_size 100
				t.Errorf("parquet: %d requests, want 10", len(r.reqs))
			}
			for _, d := range r.recs {
				if d.Data["unique_id"] == "user3@example.com" && fmt.Sprintf("%v %v", d.Data["full_name"], d.Data["paid"]) != "User 3 true" {
					t.Errorf("parquet: record %v", d.Data)
				}
			}
		},
	})
}

// Every configuration directly under examples/ is one of exampleCases (here, where the Parquet
// one is too): a new example is applied by TestAccExamples, or this fails.
func TestExamplesAllCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*", "main.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("examples/*/main.tf: %v %v", files, err)
	}
	covered := map[string]bool{}
	for _, tc := range exampleCases {
		covered[tc.dir] = true
	}
	for _, f := range files {
		if dir := filepath.Base(filepath.Dir(f)); !covered[dir] {
			t.Errorf("examples/%s is not in exampleCases: TestAccExamples does not apply it", dir)
		}
	}
}
