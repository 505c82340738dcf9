package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

type fixedTimeouts struct{}

func (fixedTimeouts) Timeouts() (time.Duration, time.Duration) { return time.Minute, time.Second }

// A warehouse that ended the describe's query or session (internal/warehouse's
// TestDescribeInterruptedIsNotARejectedSQL) is not an invalid query: the plan says to plan
// again, not to fix the SQL.
func TestDescribeErrorInterruptedIsNotInvalidSQL(t *testing.T) {
	var diags diag.Diagnostics
	err := fmt.Errorf("%w: FATAL: terminating connection due to administrator command (SQLSTATE 57P01)", warehouse.ErrInterrupted)
	describeError(&diags, &controlplane.Model{Name: "users", SQL: "select 1 as id"},
		&controlplane.Connection{Name: "wh", Postgres: &controlplane.PostgresConfig{}}, fixedTimeouts{}, err)
	if len(diags) != 1 || diags[0].Summary() != "Warehouse Query Interrupted" || !strings.Contains(diags[0].Detail(), "Plan again") ||
		strings.Contains(diags[0].Detail(), "Fix the query") {
		t.Errorf("diagnostics %v; want one \"Warehouse Query Interrupted\" that says to plan again", diags)
	}
}
