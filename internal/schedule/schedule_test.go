package schedule

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseCron(t *testing.T) {
	for _, expr := range []string{"0 * * * *", "*/15 * * * *", "30 6 * * 1-5", "0 0 1 1 *", "@hourly", "@daily"} {
		if _, err := ParseCron(expr); err != nil {
			t.Errorf("ParseCron(%q) = %v, want ok", expr, err)
		}
	}
	for _, expr := range []string{"", "61 * * * *", "0 * * *", "0 0 * * * *", "TZ=UTC 0 * * * *",
		"CRON_TZ=Europe/Paris 0 * * * *", "every hour", "@every 5m0x"} {
		if _, err := ParseCron(expr); err == nil {
			t.Errorf("ParseCron(%q) = ok, want an error", expr)
		}
	}
	// @every would bypass MinEvery; schedules that never fire would never run.
	for expr, want := range map[string]string{
		"@every 1s": "use schedule.every", "@every 1h": "use schedule.every", " @every 5m": "use schedule.every",
		"0 0 31 2 *": "never fires", "0 0 30 2 *": "never fires", "0 0 31 4,6,9,11 *": "never fires",
	} {
		_, err := ParseCron(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCron(%q) = %v, want an error containing %q", expr, err, want)
		}
	}
}

func TestParseEvery(t *testing.T) {
	for _, s := range []string{"1m", "15m", "1h30m", "24h", "60s"} {
		if _, err := ParseEvery(s); err != nil {
			t.Errorf("ParseEvery(%q) = %v, want ok", s, err)
		}
	}
	for s, want := range map[string]string{
		"30s": "shorter than the minimum", "59s": "shorter than the minimum", "0": "shorter than the minimum",
		"-5m": "shorter than the minimum", "often": "not a duration", "": "not a duration", "15": "not a duration",
	} {
		_, err := ParseEvery(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseEvery(%q) = %v, want an error containing %q", s, err, want)
		}
	}
}

func TestNextDue(t *testing.T) {
	created := time.Date(2026, 1, 1, 10, 7, 0, 0, time.UTC)
	last := time.Date(2026, 1, 2, 10, 7, 30, 0, time.FixedZone("CET", 3600))
	slot := time.Date(2026, 1, 3, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		every     string
		cron      string
		last      time.Time
		now       time.Time // zero: the base itself (on time)
		want      time.Time
		wantOK    bool
		wantError bool
	}{
		{name: "manual", wantOK: false},
		{name: "every, never ran: due at creation", every: "15m", want: created, wantOK: true},
		{name: "every: last start plus interval", every: "15m", last: last, want: last.Add(15 * time.Minute).UTC(), wantOK: true},
		{name: "cron, never ran: first time after creation", cron: "0 * * * *", want: time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC), wantOK: true},
		// last is 09:07:30 UTC (10:07:30 CET): the next 09:30 is today in UTC, tomorrow in CET.
		{name: "cron is UTC", cron: "30 9 * * *", last: last, want: time.Date(2026, 1, 2, 9, 30, 0, 0, time.UTC), wantOK: true},
		{name: "every counts from the slot, not from when the run started", every: "1m", last: slot,
			now: slot.Add(10 * time.Second), want: slot.Add(time.Minute), wantOK: true},
		{name: "every, behind: the latest slot not after now, once", every: "15m", last: slot,
			now: slot.Add(2*time.Hour + 5*time.Minute), want: slot.Add(2 * time.Hour), wantOK: true},
		{name: "cron, behind: the latest slot not after now, once", cron: "0 * * * *", last: slot,
			now: slot.Add(5*time.Hour + 30*time.Minute), want: time.Date(2026, 1, 3, 17, 0, 0, 0, time.UTC), wantOK: true},
		{name: "cron, on time", cron: "*/5 * * * *", last: slot, now: slot.Add(time.Minute),
			want: slot.Add(5 * time.Minute), wantOK: true},
		{name: "bad every", every: "soon", wantError: true},
		{name: "bad cron", cron: "61 * * * *", wantError: true},
		// 29 February 2100 is no leap day: the next is in 2104, 7 years on (robfig/cron looks 5
		// years ahead only). The sync is not due (at the zero time it was: queued at every poll).
		{name: "cron, no slot within 5 years", cron: "0 0 29 2 *", last: time.Date(2097, 3, 1, 0, 0, 0, 0, time.UTC),
			now: time.Date(2097, 3, 2, 0, 0, 0, 0, time.UTC), want: time.Date(2104, 2, 29, 0, 0, 0, 0, time.UTC), wantOK: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = created
				if tc.last.After(created) {
					now = tc.last
				}
			}
			got, ok, err := NextDue(tc.every, tc.cron, created, tc.last, now)
			if (err != nil) != tc.wantError {
				t.Fatalf("error = %v", err)
			}
			if ok != tc.wantOK || !got.Equal(tc.want) {
				t.Errorf("NextDue = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// A cron sync far behind (a runner down, or the sync paused, for months) is due at the latest
// slot not after now, as one nearer behind is: every replica, and every poll until the run
// starts, computes the same due time, so the run is queued once. The walk used to stop after
// 100000 slots (69 days of a minutely cron) and answer now, which differs at every poll: each
// poll queued another run.
func TestNextDueFarBehind(t *testing.T) {
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 3, 1, 12, 34, 6, 0, time.UTC) // 424 days behind
	for _, c := range []struct {
		cron string
		want time.Time
	}{
		{"* * * * *", time.Date(2026, 3, 1, 12, 34, 0, 0, time.UTC)},
		{"*/5 * * * *", time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)},
		{"0 3 * * 1", time.Date(2026, 2, 23, 3, 0, 0, 0, time.UTC)},
		{"0 0 1 1 *", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"0 0 29 2 *", time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)}, // no 29 Feb since base: the next one
	} {
		for _, poll := range []time.Duration{0, 10 * time.Second, 20 * time.Second} {
			due, ok, err := NextDue("", c.cron, created, base, now.Add(poll))
			if err != nil || !ok {
				t.Fatalf("%s: %v %v", c.cron, ok, err)
			}
			if !due.Equal(c.want) {
				t.Errorf("cron %q, %s behind, polled at +%s: due %s, want %s", c.cron, now.Sub(base).Round(time.Hour), poll, due, c.want)
			}
		}
	}
}

// Day-of-week 7 is Sunday, as in standard cron; fields robfig/cron would read as something else
// than written are refused, saying what is wrong and what to write: a step longer than its
// field meant only the field's first value ("*/61" minutes was hourly).
func TestParseCronFields(t *testing.T) {
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) // a Tuesday
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC) }
	for expr, want := range map[string][]time.Time{
		"0 0 * * 7":       {day(6), day(13)},
		"0 0 * * 0":       {day(6), day(13)},
		"0 0 * * SUN":     {day(6), day(13)},
		"0 0 * * 5-7":     {day(4), day(5), day(6), day(11)},
		"0 0 * * fri-7":   {day(4), day(5), day(6), day(11)},
		"0 0 * * 1,7":     {day(6), day(7), day(13)},
		"0 0 * * 0-7":     {day(2), day(3), day(4)},
		"0 0 * * 3-7/2":   {day(2), day(4), day(6), day(9)},
		"0 0 * * */7":     {day(6), day(13)},
		"0 0 * * 7/3":     {day(6), day(13)},
		"0 0 1,15 * ?":    {day(1).Add(24 * time.Hour * 14), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		"0 0 1 jan-MAR *": {time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)},
		"*/60 * * * *":    {day(1).Add(time.Hour), day(1).Add(2 * time.Hour)},
		"5/20 * * * *":    {day(1).Add(5 * time.Minute), day(1).Add(25 * time.Minute), day(1).Add(45 * time.Minute)},
	} {
		s, err := ParseCron(expr)
		if err != nil {
			t.Errorf("ParseCron(%q) = %v, want ok", expr, err)
			continue
		}
		got, at := []time.Time{}, from
		for range want {
			at = s.Next(at)
			got = append(got, at)
		}
		if !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Errorf("ParseCron(%q) fires at %v, want %v", expr, got, want)
		}
	}
	for expr, want := range map[string]string{
		"*/61 * * * *":        `the minute field "*/61": a step of 61 is longer than the 60 values of the field (0-59), so it would only ever mean 0: write 0, or a step of at most 60`,
		"0 */25 * * *":        `the hour field "*/25": a step of 25 is longer than the 24 values`,
		"0 0 */32 * *":        `the day-of-month field "*/32": a step of 32 is longer than the 31 values of the field (1-31), so it would only ever mean 1`,
		"0 0 1 */13 *":        `the month field "*/13": a step of 13 is longer than the 12 values`,
		"0 0 * * */8":         `the day-of-week field "*/8": a step of 8 is longer than the 7 values`,
		"10-20/61 * * * *":    "only ever mean 10: write 10",
		"*/0 * * * *":         "a step of 0 never advances",
		"*/ * * * *":          `the step "" is not a whole number`,
		"*/-5 * * * *":        `the step "-5" is not a whole number`,
		"10-5 * * * *":        "the range 10-5 runs backwards: write it low-high, e.g. 10-59,0-5 for one that wraps around",
		"0 0 * * 6-1":         "e.g. 6,0-1",
		"0 0 * * 7-1":         "e.g. 0-1",
		"0 0 * * fri-mon":     "the range 5-1 runs backwards",
		"60 * * * *":          "60 is outside 0-59",
		"0 24 * * *":          "24 is outside 0-23",
		"0 0 0 * *":           "0 is outside 1-31",
		"0 0 32 * *":          "32 is outside 1-31",
		"0 0 * 0 *":           "0 is outside 1-12",
		"0 0 * 13 *":          "13 is outside 1-12",
		"0 0 * * 8":           "8 is outside 0-7",
		"0 * * *":             "expected 5 fields (minute hour day-of-month month day-of-week), found 4",
		"0 0 * * * *":         "found 6",
		"0 0 * * MONDAY":      `"MONDAY" is neither a number nor a name such as MON`,
		"0 0 * MON *":         `"MON" is neither a number nor a name such as JAN`,
		"0 0 JAN * *":         `"JAN" is not a number`,
		"*-5 * * * *":         `"*" is not a number`,
		"1,,2 * * * *":        `the minute field "1,,2": "": an empty item in a list`,
		", * * * *":           "an empty item in a list",
		"1, * * * *":          "an empty item in a list",
		"+5 * * * *":          `"+5" is not a number`,
		"-5 * * * *":          `"" is not a number`,
		"1-2-3 * * * *":       `"2-3" is not a number`,
		"*/2/3 * * * *":       `the step "2/3" is not a whole number`,
		"? * * * *":           "? is for the day-of-month and day-of-week fields only: write * instead",
		"0 0 1 ? *":           "? is for the day-of-month and day-of-week fields only",
		"99999999999 * * * *": `"99999999999" is not a number`,
	} {
		_, err := ParseCron(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCron(%q) = %v, want an error containing %q", expr, err, want)
		}
	}
}

// TestCronDayFieldsAsLinuxCron: with both day fields restricted, a day runs when either matches,
// unless one of them starts with * (or ?), then only when both do: the rule of Vixie cron and
// cronie (the cron of Linux distributions, which crontab.guru explains), which decides by the
// field's first character. robfig/cron reads a * with a step (*/2) as restricted, so
// "0 0 */2 * MON" ran on every odd day and every Monday, not on the odd days that are Mondays.
func TestCronDayFieldsAsLinuxCron(t *testing.T) {
	from := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // a Monday
	day := func(m time.Month, d int) time.Time {
		return time.Date(2026+int(m-1)/12, (m-1)%12+1, d, 0, 0, 0, 0, time.UTC)
	}
	for expr, want := range map[string][]time.Time{
		// Both: odd days that are Mondays.
		"0 0 */2 * MON": {day(12, 7), day(12, 21), day(13, 11), day(13, 25)},
		"0 0 ?/2 * 1":   {day(12, 7), day(12, 21), day(13, 11), day(13, 25)},
		// Both: the 1st of months that start on a Sunday, Tuesday, Thursday or Saturday.
		"0 0 1 * */2": {day(12, 1), day(16, 1)},
		// Either: unchanged.
		"0 0 1-31/2 * MON": {day(12, 1), day(12, 3), day(12, 5), day(12, 7)},
		"0 0 1,15 * 5":     {day(12, 1), day(12, 4), day(12, 11), day(12, 15)},
		"0 0 * * MON":      {day(12, 7), day(12, 14), day(12, 21), day(12, 28)},
		"0 0 */2 * *":      {day(12, 1), day(12, 3), day(12, 5), day(12, 7)},
		"0 0 */2 * ?":      {day(12, 1), day(12, 3), day(12, 5), day(12, 7)},
		// By the first character, as Linux cron: "*,10" is a * (both), "10,*" is not (either).
		"0 0 *,10 * 2": {day(12, 1), day(12, 8), day(12, 15), day(12, 22)},
		"0 0 10,* * 2": {day(12, 1), day(12, 2), day(12, 3), day(12, 4)},
	} {
		s, err := ParseCron(expr)
		if err != nil {
			t.Errorf("ParseCron(%q) = %v", expr, err)
			continue
		}
		var got []time.Time
		for at := from; len(got) < len(want); {
			at = s.Next(at)
			got = append(got, at)
		}
		if !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Errorf("%q after %s runs %v, want %v (as Linux cron)", expr, from.Format(time.DateOnly), dates(got), dates(want))
		}
	}
}

func dates(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Format(time.DateOnly)
	}
	return out
}

// TestCronSlotsYearsApart: a schedule's next slot may be more than 5 years ahead, as far as robfig/cron
// looks: it is found, not taken for a schedule that never fires. "0 0 */29 2 WED" runs on 1
// February when it is a Wednesday (the day fields limit each other, as in Linux cron): 2023, then
// 2034.
func TestCronSlotsYearsApart(t *testing.T) {
	s, err := ParseCron("0 0 */29 2 WED")
	if err != nil {
		t.Fatalf("ParseCron: %v, want ok: it runs on 1 February 2034", err)
	}
	from := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	if got, want := s.Next(from), time.Date(2034, 2, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("next slot after %s: %s, want %s", from, got, want)
	}
	due, ok, err := NextDue("", "0 0 */29 2 WED", from, from, from)
	if err != nil || !ok || !due.Equal(time.Date(2034, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("NextDue = %v, %v, %v; want 2034-02-01", due, ok, err)
	}
	for _, expr := range []string{"0 0 30 2 *", "0 0 31 4,6,9,11 *"} {
		if _, err := ParseCron(expr); err == nil || !strings.Contains(err.Error(), "never fires") {
			t.Errorf("ParseCron(%q) = %v, want never fires", expr, err)
		}
	}
}

// TestCronNeverFiresWithAStarredDayField: "0 0 31 2 */2" ran before 6 Dec 2026 (robfig/cron read
// a day matching either field), and reads as Linux cron does now: 31 February on the days of
// week */2 picks, never. Refused, the error said only "e.g. the 31st of a month that has 30 days
// or fewer", which a user whose schedule ran until then cannot act on: it says which field limits
// the other, and how to write the days either matches.
func TestCronNeverFiresWithAStarredDayField(t *testing.T) {
	for _, expr := range []string{"0 0 31 2 */2", "0 0 */2 2 SUN"} {
		_, err := ParseCron(expr)
		if expr == "0 0 */2 2 SUN" {
			if err != nil {
				t.Errorf("ParseCron(%q) = %v, want ok (odd days of February that are Sundays)", expr, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "never fires") || !strings.Contains(err.Error(), "limits the other") ||
			!strings.Contains(err.Error(), "0-6/2") {
			t.Errorf("ParseCron(%q) = %v, want never fires, saying the * day field limits the other and how to write either", expr, err)
		}
	}
	if _, err := ParseCron("0 0 31 2 *"); err == nil || strings.Contains(err.Error(), "limits the other") {
		t.Errorf("ParseCron(0 0 31 2 *) = %v, want the plain never fires", err)
	}
}
