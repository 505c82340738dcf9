package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// The pace a run recorded shows in `runs` (table and JSON) and in a run's summary.
func TestRunsShowThePace(t *testing.T) {
	start := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	paced := &controlplane.Run{ID: 7, SyncName: "users", Status: controlplane.RunSucceeded, Trigger: "manual",
		StartedAt: start, FinishedAt: start.Add(time.Minute), PaceRate: 187.4, PaceConcurrency: 13}
	idle := &controlplane.Run{ID: 8, SyncName: "users", Status: controlplane.RunSucceeded, Trigger: "manual",
		StartedAt: start, FinishedAt: start.Add(time.Second)}
	var table bytes.Buffer
	printRuns(&table, []*controlplane.Run{paced, idle})
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if len(lines) != 3 || !strings.HasSuffix(strings.TrimSpace(lines[0]), "PACE") ||
		!strings.HasSuffix(lines[1], "187 requests/s, 13 in flight") || !strings.HasSuffix(lines[2], "-") {
		t.Errorf("runs table:\n%s\nwant a PACE column: 187 requests/s, 13 in flight, and - for a run that sent nothing", table.String())
	}
	var summary bytes.Buffer
	printRun(&summary, paced)
	if !strings.Contains(summary.String(), "pace") || !strings.Contains(summary.String(), "187 requests/s, 13 in flight") {
		t.Errorf("run summary:\n%s\nwant its pace", summary.String())
	}
	b, err := json.Marshal(runner.NewRunJSON(paced, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"pace_requests_per_second":187.4`)) || !bytes.Contains(b, []byte(`"pace_concurrency":13`)) {
		t.Errorf("runs --json: %s, want pace_requests_per_second and pace_concurrency", b)
	}
}

// While the runner reads the model (and sorts it by key) nothing is compared or sent: the
// progress line says how many rows have been read, then what was read and sent.
func TestProgressWhileReading(t *testing.T) {
	var c runner.Counters
	c.Fetched.Store(1_234_567)
	line, attrs := describeProgress("users", &c, 10*time.Second)
	if line != "users: reading the model: 1234567 rows so far (sorted by key before anything is sent)" {
		t.Errorf("progress while reading: %q", line)
	}
	if !slices.Equal(attrs, []any{"sync", "users", "reading", int64(1_234_567)}) {
		t.Errorf("log attributes while reading: %v", attrs)
	}
	c.Extracted.Store(2000)
	c.Delivered.Store(1000)
	line, attrs = describeProgress("users", &c, 10*time.Second)
	if line != "users: read 2000, sent 1000 (100 records/s)" {
		t.Errorf("progress once sending: %q", line)
	}
	if !slices.Equal(attrs, []any{"sync", "users", "read", int64(2000), "sent", int64(1000), "records_per_second", int64(100), "pace", ""}) {
		t.Errorf("log attributes once sending: %v", attrs)
	}
}

// The answers that delivered records of a `request` block show in a run's summary (only when
// there were some) and in `runs --json`.
func TestRunsShowTheAnswers(t *testing.T) {
	start := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	r := &controlplane.Run{ID: 9, SyncName: "contacts", Status: controlplane.RunSucceeded, Trigger: "manual",
		StartedAt: start, FinishedAt: start.Add(time.Second),
		Counts: controlplane.RunCounts{New: 5, Delivered: 5, ResentAfterConflict: 2, AbsentOnDelete: 1}}
	var summary bytes.Buffer
	printRun(&summary, r)
	out := summary.String()
	for _, want := range []string{"updated after 409  2", "absent on delete   1"} {
		if !strings.Contains(out, want) {
			t.Errorf("run summary:\n%s\nwant %q", out, want)
		}
	}
	for _, absent := range []string{"created after 404", "present on 409"} {
		if strings.Contains(out, absent) {
			t.Errorf("run summary:\n%s\nshows %q, which is 0", out, absent)
		}
	}
	b, err := json.Marshal(runner.NewRunJSON(r, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"resent_after_conflict":2`, `"resent_after_not_found":0`, `"present_on_conflict":0`, `"absent_on_delete":1`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("runs --json: %s, want %s", b, want)
		}
	}
}
