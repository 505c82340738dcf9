package runner

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// NextDue is when sync y is next due: for `every`, its last run's start plus the interval; for
// `cron` (UTC, five fields), the first cron time after its last run's start. lastStart is the
// start of the last run that served the schedule (Store.LastRunStarts): one that ended succeeded
// or failed, or is running under a held lock, never a canceled or abandoned one, whose work is
// still to do. A sync without one counts from its creation (`every` is due at once). ok is false for manual syncs. The value
// depends only on the control plane, so every replica computes the same one.
func NextDue(y *controlplane.Sync, lastStart time.Time) (due time.Time, ok bool, err error) {
	switch {
	case y.ScheduleEvery != "":
		every := y.Every()
		if every <= 0 {
			return time.Time{}, false, fmt.Errorf("sync %q: schedule every %q is not a positive duration such as 15m", y.Name, y.ScheduleEvery)
		}
		if lastStart.IsZero() {
			return y.CreatedAt.UTC(), true, nil
		}
		return lastStart.Add(every).UTC(), true, nil
	case y.ScheduleCron != "":
		s, err := cron.ParseStandard(y.ScheduleCron)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("sync %q: schedule cron %q: %w", y.Name, y.ScheduleCron, err)
		}
		base := lastStart
		if base.IsZero() {
			base = y.CreatedAt
		}
		return s.Next(base.UTC()), true, nil
	}
	return time.Time{}, false, nil
}
