//go:build cgo

package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// TestAccDuckDBModelWritesNothingAtPlan: a model of several statements, or one calling a
// function that writes or reads credentials, is refused at plan time ("Model Must Only Read",
// saying why) and nothing of it runs: the plan-time describe of "COPY ... TO f; SELECT ..." wrote
// f, and "SELECT ... FROM duckdb_settings()" was planned and applied.
func TestAccDuckDBModelWritesNothingAtPlan(t *testing.T) {
	e := newTestEnv(t)
	path, dir := warehousetest.NewDuckDBFile(t, "CREATE TABLE users AS SELECT 'u' || i AS unique_id FROM range(1, 4) AS r(i)")
	out := filepath.Join(dir, "written.csv")
	cfg := func(sql string) string {
		return e.config(duckdbConnection("d", "lake", path, ""), model("m", "users", "d", fmt.Sprintf("sql = %q", sql)))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				Config:      cfg("copy users to '" + out + "'; select * from users"),
				ExpectError: expectErr(`Model Must Only Read.*2 statements separated by ';'`),
			},
			{
				Config:      cfg("select name as unique_id, value from duckdb_settings()"),
				ExpectError: expectErr(`Model Must Only Read.*calls duckdb_settings\(\)`),
			},
			{
				Config: cfg("select * from users"),
				Check: func(*terraform.State) error {
					if _, err := os.Stat(out); err == nil {
						return fmt.Errorf("the plan of a model wrote %s", filepath.Base(out))
					}
					return nil
				},
			},
		},
	})
}
