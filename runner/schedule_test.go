package runner

import (
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

func TestNextDue(t *testing.T) {
	created := time.Date(2026, 1, 1, 10, 7, 0, 0, time.UTC)
	last := time.Date(2026, 1, 2, 10, 7, 30, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		name      string
		every     string
		cron      string
		last      time.Time
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
		{name: "bad every", every: "soon", wantError: true},
		{name: "bad cron", cron: "61 * * * *", wantError: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			y := &controlplane.Sync{Name: "s", ScheduleEvery: tc.every, ScheduleCron: tc.cron, CreatedAt: created}
			got, ok, err := NextDue(y, tc.last)
			if (err != nil) != tc.wantError {
				t.Fatalf("error = %v", err)
			}
			if ok != tc.wantOK || !got.Equal(tc.want) {
				t.Errorf("NextDue = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestDeletedKeyJSON(t *testing.T) {
	cols := []controlplane.Column{{Name: "id", Type: "int8"}, {Name: "code", Type: "text"}}
	for _, tc := range []struct {
		key, mapped string
		mappings    []controlplane.Mapping
		value, want string
	}{
		{key: "id", value: "42", want: `{"id":42}`},
		{key: "id", value: "-7", want: `{"id":-7}`},
		{key: "code", value: "42", want: `{"code":"42"}`},
		{key: "code", value: `a"b`, want: `{"code":"a\"b"}`},
		{key: "id", mappings: []controlplane.Mapping{{From: "id", To: "user_id"}}, value: "1", want: `{"user_id":1}`},
		{key: "id", mappings: []controlplane.Mapping{{From: "code", To: "c"}}, value: "1", want: `{"id":1}`},
	} {
		m, err := newMapper(cols, tc.mappings, tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(m.appendDeleted(nil, []byte(tc.value))); got != tc.want {
			t.Errorf("key %s=%s mappings %v: %s, want %s", tc.key, tc.value, tc.mappings, got, tc.want)
		}
	}
	if _, err := newMapper(cols, []controlplane.Mapping{{From: "gone", To: "x"}}, "id"); err == nil {
		t.Errorf("a mapping from a missing column was accepted")
	}
}
