package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// TestSyncSaysTheEndWasNotRecorded: a foreground run that failed and whose end the control
// plane did not take (out of connection slots for longer than the run waits) says both: `runs`
// shows it running until the sync's next run closes it. Before, `sync` printed "canceled" and
// the run's own error only; the record said running, and nothing on stdout said why.
func TestSyncSaysTheEndWasNotRecorded(t *testing.T) {
	cause := errors.New("failed to connect to `user=bf database=cp`: server error: FATAL: sorry, too many clients already (SQLSTATE 53300)")
	for _, tc := range []struct {
		name   string
		runErr error
	}{
		{"after a failure", errors.New(`deliver to "hook": lease request slots of connection 2: lost`)},
		{"after a success", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := &controlplane.Run{Status: controlplane.RunCanceled}
			if tc.runErr != nil {
				run.Error = tc.runErr.Error()
			}
			// As the engine returns it (Engine.Run).
			err := errors.Join(tc.runErr, fmt.Errorf("%w: %w", runner.ErrEndNotRecorded, cause))
			var out strings.Builder
			printUnrecorded(&out, run, err)
			got := strings.Join(strings.Fields(out.String()), " ")
			for _, want := range []string{"the run's end could not be recorded in the control plane", "SQLSTATE 53300",
				"shows it running until the sync's next run"} {
				if !strings.Contains(got, want) {
					t.Errorf("sync's output does not say %q:\n%s", want, out.String())
				}
			}
			if tc.runErr != nil && strings.Contains(got, "lease request slots") {
				t.Errorf("sync's output repeats the run's error, which printRun shows:\n%s", out.String())
			}
		})
	}
}
