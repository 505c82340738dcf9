package runner

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
)

// progressLines returns the "run progress" lines logged to logs so far.
func progressLines(t *testing.T, logs *lockedbuf.Buffer) []map[string]any {
	var out []map[string]any
	for _, line := range bytes.Split(logs.Bytes(), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "run progress" {
			out = append(out, m)
		}
	}
	return out
}

// The daemon's runs log their progress while they run (Engine.ProgressEvery): the receiver
// holds the first request until a progress line has said what was read, so the line is logged
// while the run is under way, whatever the machine's speed.
func TestEngineLogsProgress(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	var logs lockedbuf.Buffer
	f.engine.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	f.engine.ProgressEvery = time.Millisecond
	f.recv.Gate(func(n int) {
		if n != 1 {
			return
		}
		// Without progress lines the request is answered after a while, and the test fails below.
		for give := time.Now().Add(10 * time.Second); time.Now().Before(give); {
			for _, m := range progressLines(t, &logs) {
				if read, _ := m["read"].(float64); read >= 1 {
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
	})
	f.run(controlplane.RunSucceeded, RunOptions{})
	lines := progressLines(t, &logs)
	if len(lines) == 0 {
		t.Fatal("no run progress logged")
	}
	first := lines[0]
	if first["sync"] != f.sync.Name || first["run"] == nil {
		t.Errorf("progress line %v: want the sync's name and the run's id", first)
	}
	if _, ok := first["reading"]; !ok && first["read"] == nil {
		t.Errorf("progress line %v: want reading (rows read so far) or read and sent", first)
	}
}
