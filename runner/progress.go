package runner

import (
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/printable"
)

// Describe says how far a run has come after elapsed, as the text of a status line and as the
// attributes of a log line. While the runner reads the model (and sorts it by key) nothing is
// compared or sent yet, so the rows read so far are the news; then what was read and sent, and
// while requests wait to be retried, that rather than a rate that froze.
func (c *Counters) Describe(elapsed time.Duration) (text string, attrs []any) {
	read, sent, fetched := c.Extracted.Load(), c.Delivered.Load(), c.Fetched.Load()
	if read == 0 && fetched > 0 {
		return fmt.Sprintf("reading the model: %d rows so far (sorted by key before anything is sent)", fetched),
			[]any{"reading", fetched}
	}
	rate := float64(sent) / elapsed.Seconds()
	if waiting, last := c.Retrying(); waiting > 0 && last != nil {
		next := max(time.Until(last.At.Add(last.Wait)), 0).Round(100 * time.Millisecond)
		retrying := fmt.Sprintf("retrying: attempt %d of %d failed (%s), next in %s", last.Attempt,
			last.MaxAttempts, printable.OneLine(last.Cause(), 80), next)
		return fmt.Sprintf("read %d, sent %d, %s", read, sent, retrying), []any{"read", read, "sent", sent, "retrying", retrying}
	}
	pace := ""
	if r, n, ok := c.Pace(); ok {
		pace = pacing.Describe(r, n)
	}
	attrs = []any{"read", read, "sent", sent, "records_per_second", int64(rate), "pace", pace}
	if pace != "" {
		return fmt.Sprintf("read %d, sent %d (%.0f records/s; %s)", read, sent, rate, pace), attrs
	}
	return fmt.Sprintf("read %d, sent %d (%.0f records/s)", read, sent, rate), attrs
}

// cutAtRune is s's first n bytes, fewer when the n-th is inside a character: s whole when it is
// no longer.
func cutAtRune[T ~string | ~[]byte](s T, n int) T {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// DaemonProgressEvery is how often the daemon logs a run's progress (Engine.ProgressEvery).
const DaemonProgressEvery = 30 * time.Second

// logProgress logs "run progress" (Counters.Describe's attributes) every interval until the
// returned function is called.
func logProgress(log *slog.Logger, c *Counters, every time.Duration) (stop func()) {
	return Tick(every, func(elapsed time.Duration) {
		_, attrs := c.Describe(elapsed)
		log.Info("run progress", attrs...)
	})
}

// Tick calls f every interval, in a goroutine of its own, with the time since Tick was called,
// until stop is called; stop returns once f is no longer running.
func Tick(every time.Duration, f func(elapsed time.Duration)) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f(time.Since(start))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
