package webhook

import (
	"strings"
	"testing"
	"time"
)

// Dates and timestamps are read the same wherever a template is rendered: a timestamp without a
// zone (Postgres's `timestamp`, sent "2019-12-08 14:19:52") or a date is UTC, as the sample
// record at plan has it ("2024-01-02T03:04:05Z"), not the zone of the machine running the runner
// (or terraform plan), which shifted iso8601 and unix by its offset (a date was the day before
// east of Greenwich) and, in a DST gap, moved the hour date printed. A null is nothing, not the
// year 1.
func TestDatesDoNotDependOnTheMachinesZone(t *testing.T) {
	old := time.Local
	t.Cleanup(func() { time.Local = old })
	rec := `{"ts": "2019-12-08 14:19:52.5", "d": "2019-12-08", "tz": "2019-12-08T14:19:52+02:00",
		"gap": "2024-03-10 02:30:00", "z": null}`
	for _, zone := range []string{"America/New_York", "Europe/Paris", "UTC"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skip(err)
		}
		time.Local = loc
		for _, tc := range []struct{ src, want string }{
			{`{{ record.ts | iso8601 }} {{ record.ts | unix }}`, "2019-12-08T14:19:52.5Z 1575814792"},
			{`{{ record.ts | date: "%Y-%m-%d %H:%M:%S %z" }}`, "2019-12-08 14:19:52 +0000"},
			{`{{ record.d | iso8601 }} {{ record.d | unix }} {{ record.d | date: "%d %H" }}`, "2019-12-08T00:00:00Z 1575763200 08 00"},
			{`{{ record.tz | iso8601 }} {{ record.tz | unix }} {{ record.tz | date: "%H:%M %z" }}`, "2019-12-08T12:19:52Z 1575807592 14:19 +0200"},
			{`{{ record.gap | date: "%Y-%m-%d %H:%M" }}`, "2024-03-10 02:30"},
			{`[{{ record.z | iso8601 }}][{{ record.z | unix }}][{{ record.z | date: "%Y" }}][{{ record.missing | date }}]`, "[][][][]"},
			{`{{ record.z | iso8601 | json }} {{ record.z | unix | json }}`, "null null"},
			{`{{ "now" | date: "%z" }}`, "+0000"},
		} {
			got, err := render(t, tc.src, rec)
			if err != nil || got != tc.want {
				t.Errorf("%s: %s = %q (%v), want %q", zone, tc.src, got, err, tc.want)
			}
		}
	}
	// What cannot be read as a date stays an error, which says so.
	for _, src := range []string{`{{ record.s | unix }}`, `{{ record.n | date: "%Y" }}`, `{{ record.b | iso8601 }}`, `{{ record.o | unix }}`} {
		if got, err := render(t, src, `{"s": "garbage", "n": 12.5, "b": true, "o": {"a": 1}}`); err == nil {
			t.Errorf("%s = %q, want an error", src, got)
		}
	}
}

// A whole number is seconds since 1970, as in Shopify's Liquid ({{ 1709251199 | date: "%Y" }});
// before, date, iso8601 and unix refused it. Milliseconds, a fraction or a text of digits are
// errors that say what to write, not a date millennia away or a day in 1970.
func TestNumberIsSecondsSince1970(t *testing.T) {
	rec := `{"ts": 1709251199, "ms": 1709251199000, "f": 1709251199.5, "digits": "20240229", "neg": -86400}`
	for _, tc := range []struct{ src, want string }{
		{`{{ record.ts | date: "%Y-%m-%d %H:%M:%S" }} {{ record.ts | iso8601 }} {{ record.ts | unix }}`,
			"2024-02-29 23:59:59 2024-02-29T23:59:59Z 1709251199"},
		{`{{ record.ms | divided_by: 1000 | iso8601 }} {{ record.neg | iso8601 }} {{ 0 | date: "%Y" }}`,
			"2024-02-29T23:59:59Z 1969-12-31T00:00:00Z 1970"},
	} {
		got, err := render(t, tc.src, rec)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.src, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, says string }{
		{`{{ record.ms | date: "%Y" }}`, "divided_by: 1000"},
		{`{{ record.f | iso8601 }}`, "whole seconds"},
		{`{{ record.digits | unix }}`, "string(20240229)"},
	} {
		if got, err := render(t, tc.src, rec); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s = %q (%v), want an error saying %q", tc.src, got, err, tc.says)
		}
	}
}

// A number keeps its text: -0 (a float column's negative zero, as the warehouse sends it) was read
// as the integer 0, and sent so by json and by an output, its sign lost.
func TestNegativeZeroKeepsItsText(t *testing.T) {
	got, err := render(t, `{{ record.z | json }} {{ record.z }} {{ record | json }} {{ record.i | json }}`, `{"z":-0,"i":-7}`)
	if want := `-0 -0 {"z":-0,"i":-7} -7`; err != nil || got != want {
		t.Errorf("rendered %q (%v), want %q", got, err, want)
	}
}
