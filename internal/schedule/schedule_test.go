package schedule

import (
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
