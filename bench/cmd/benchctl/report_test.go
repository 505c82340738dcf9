package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A bench that fails (here: the role of BACKFLOW_DATABASE_URL may not create the bench databases,
// as the README walkthrough's may not) leaves the committed results file as it was, and writes
// what it measured next to it; a complete one replaces it.
func TestFailedBenchKeepsTheResultsFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "results.json")
	const kept = "{\"the\": \"results of a complete run\"}\n"
	if err := os.WriteFile(out, []byte(kept), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := report{Sizes: []sizeResult{{Rows: 1000}}}
	written, err := writeReport(out, rep, errors.New("1000 rows: recreate the bench databases: permission denied to create database"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != kept {
		t.Errorf("a failed bench replaced %s with:\n%s", out, b)
	}
	if want := filepath.Join(dir, "results.partial.json"); written != want {
		t.Errorf("a failed bench wrote %s, want %s", written, want)
	}
	if _, err := os.Stat(written); err != nil {
		t.Errorf("the partial results: %v", err)
	}

	written, err = writeReport(out, rep, nil)
	if err != nil || written != out {
		t.Fatalf("a complete bench wrote %s (%v), want %s", written, err, out)
	}
	if b, _ := os.ReadFile(out); string(b) == kept {
		t.Errorf("a complete bench did not replace %s", out)
	}
}
