package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// FuzzParseCronAsRobfig: an expression both ParseCron and robfig/cron accept means the same
// slots to both, robfig/cron's with the day rule of Linux cron (linuxDays) and looking past 5 years
// (farSchedule): checkCronFields only refuses, or rewrites a day-of-week 7, which robfig/cron
// refuses. Neither panics.
func FuzzParseCronAsRobfig(f *testing.F) {
	for _, s := range []string{"0 * * * *", "*/15 * * * *", "30 6 * * 1-5", "0 0 1 1 *", "@hourly", "5/10 * * * *",
		"0 0 * * MON-FRI", "0 0 ? * sun", "0-59/7 1,2,3 1-31/2 JAN-dec/3 1-6/2", "0 0 L * *", "0 0 * * 7",
		"*/60 */24 */31 */12 */7", "1-5/10 * * * *", "00 007 01 1 0", "0  0\t* * *", "@weekly", "@midnight",
		"0 0 29 2 *", "59 23 31 12 6", "0 0 1,15 * 1", "*/1 * * * ?",
		"0 0 */2 * MON", "0 0 10,* * 2", "0 0 1 * */2"} {
		f.Add(s)
	}
	base := []time.Time{time.Date(2026, 12, 5, 15, 4, 5, 0, time.UTC), time.Date(2028, 2, 28, 23, 59, 0, 0, time.UTC),
		time.Date(2031, 12, 31, 23, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, expr string) {
		ours, err := ParseCron(expr)
		if err != nil {
			return
		}
		theirs, err := cronParser.Parse(expr)
		if err != nil {
			return // day-of-week 7, or something robfig/cron refuses that ParseCron accepts
		}
		if spec, ok := theirs.(*cron.SpecSchedule); ok {
			if f := strings.Fields(expr); len(f) == 5 {
				linuxDays(spec, f[2], f[4])
			}
			theirs = farSchedule{spec}
		}
		for _, b := range base {
			at := b
			for range 5 {
				a, r := ours.Next(at), theirs.Next(at)
				if !a.Equal(r) {
					t.Fatalf("ParseCron(%q).Next(%s) = %s, robfig/cron says %s", expr, at, a, r)
				}
				if a.IsZero() {
					break
				}
				at = a
			}
		}
	})
}
