package runner

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// backflow_runs_total has a series for every status a run ends with, at 0 before the first run,
// blocked included: an alert on blocked runs (the guard held a run back) works from the start,
// as one on failed runs does.
func TestRunsTotalHasEveryEndStatus(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.runFinished(&controlplane.Run{Status: controlplane.RunSucceeded})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		if mf.GetName() == "backflow_runs_total" {
			for _, s := range mf.GetMetric() {
				got = append(got, s.GetLabel()[0].GetValue())
			}
		}
	}
	sort.Strings(got)
	want := []string{controlplane.RunBlocked, controlplane.RunCanceled, controlplane.RunFailed, controlplane.RunSucceeded}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backflow_runs_total's statuses (-want +got):\n%s", diff)
	}
}
