package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"strings"
	"testing"
)

// TestDoubleDashEndsFlags: after `--` every argument is a name, as a script writes
// `backflow-runner sync -- "$NAME"` for a name that may begin with a dash. What followed the
// first name after `--` was parsed as flags again: `sync -- -x --full` ran a --full sync of
// "-x", and `sync -- -h extra` printed the help and exited 0. A flag's value that reads as
// help (`records X --key help`) printed the help too, instead of looking the key up.
func TestDoubleDashEndsFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sync", "--", "-x", "--full"}, "got 2 arguments"},
		{[]string{"sync", "--dry-run", "--", "-x", "--bogus"}, "got 2 arguments"},
		{[]string{"sync", "--", "-h", "extra"}, "got 2 arguments"},
		{[]string{"runs", "--", "--json", "--help"}, "at most one sync"},
		{[]string{"deliveries", "--", "-x", "--failed"}, "got 2 arguments"},
	} {
		args := c.args
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, want 2 and the two arguments refused\nstdout: %s\nstderr: %s", args, code, stdout.String(), stderr.String())
		}
	}
	// A flag's value is no request for help: `records X --key help` looked up the key "help".
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"records", "--key", "help"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "name the sync") {
		t.Errorf("records --key help: exit %d, want 2 and the sync asked for\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	// Before `--`, flags still come before or after the name; a flag's value may be "--".
	pos, err := parseArgs(t, "--full", "a", "--dry-run")
	if err != nil || len(pos) != 1 || pos[0] != "a" {
		t.Errorf("--full a --dry-run: %q, %v", pos, err)
	}
	pos, err = parseArgs(t, "--key", "--", "a", "--full")
	if err != nil || len(pos) != 1 || pos[0] != "a" {
		t.Errorf("--key -- a --full: %q, %v, want [a] (-- the value of --key)", pos, err)
	}
	pos, err = parseArgs(t, "a", "--", "--full", "-b")
	if err != nil || len(pos) != 3 || pos[1] != "--full" || pos[2] != "-b" {
		t.Errorf("a -- --full -b: %q, %v, want [a --full -b]", pos, err)
	}
}

func newTestFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Bool("full", false, "")
	fs.Bool("dry-run", false, "")
	fs.String("key", "", "")
	return fs
}

func parseArgs(t *testing.T, args ...string) ([]string, error) {
	t.Helper()
	fs := newTestFlagSet()
	return parseInterleaved(fs, args)
}
