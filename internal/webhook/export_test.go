package webhook

import "time"

// SetClock replaces the clock a TokenSource compares expiries with, so tests move time forward
// instead of waiting.
func (t *TokenSource) SetClock(now func() time.Time) { t.now = now }
