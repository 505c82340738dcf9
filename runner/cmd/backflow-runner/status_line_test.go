package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// The status line fits the terminal: one wider than it wraps onto a second row, which the
// next redraw ("\r\x1b[K" erases the cursor's row only) leaves behind, so a sync that is retrying
// (its line names the sync and the failure) filled the terminal with half-lines four times a
// second.
func TestStatusLineFitsTheTerminal(t *testing.T) {
	var term bytes.Buffer
	s := &statusWriter{w: &term, width: func() int { return 60 }}
	var c runner.Counters
	line, _ := describeProgress("Active users to the CRM's contacts endpoint, nightly", &c, time.Second)
	line += ", retrying: attempt 3 of 8 failed (HTTP 503: upstream connect error or disconnect/reset before headers), next in 4.5s"
	for range 3 {
		s.status(line)
	}
	for _, draw := range strings.Split(term.String(), "\r\x1b[K")[1:] {
		if n := utf8.RuneCountInString(draw); n >= 60 {
			t.Errorf("a status line of %d columns on a terminal of 60: %q", n, draw)
		}
		if !strings.HasPrefix(draw, "Active users") {
			t.Errorf("the status line lost its start: %q", draw)
		}
	}
}
