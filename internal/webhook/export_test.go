package webhook

import "time"

// SetClock replaces the clock a TokenSource compares expiries with, so tests move time forward
// instead of waiting.
func (t *TokenSource) SetClock(now func() time.Time) { t.now = now }

// SetTokenFetchTimeout replaces how long a token request may take, for the test's length; the
// returned function puts it back.
func SetTokenFetchTimeout(d time.Duration) (restore func()) {
	old := tokenFetchTimeout
	tokenFetchTimeout = d
	return func() { tokenFetchTimeout = old }
}
