package webhook

import (
	"bytes"
	"io"
	"log"
)

// unsolicited starts the line net/http's Transport writes with the standard library's log
// package when an endpoint sends bytes on a connection idle between requests: a 204 or a 304
// with a body, a Content-Length shorter than the body, or anything sent after an answer.
const unsolicited = "Unsolicited response received on idle HTTP channel"

// HideUnsolicitedAnswers makes the standard library's log package, which net/http's Transport
// writes to and nothing else configures, leave out the bytes of such a line: net/http quotes up
// to 4 KiB of what the endpoint sent, and an endpoint can send there anything, the request it
// was sent echoed with its Authorization header or the connection's API key among it, which went
// to the runner's (or Terraform's provider) log as it was, past every scrub of Backflow's own
// messages. The line is kept without them, saying so; every other line is written as it was.
// The binaries call it first thing.
func HideUnsolicitedAnswers() {
	if _, ok := log.Writer().(unsolicitedFilter); !ok {
		log.SetOutput(unsolicitedFilter{log.Writer()})
	}
}

// unsolicitedFilter is the standard log's writer from HideUnsolicitedAnswers: the log package
// writes each line with one Write.
type unsolicitedFilter struct{ w io.Writer }

func (f unsolicitedFilter) Write(p []byte) (int, error) {
	i := bytes.Index(p, []byte(unsolicited))
	if i < 0 {
		return f.w.Write(p)
	}
	line := append(p[:i:i], unsolicited+" (Backflow does not show what the endpoint sent: it may echo "+
		"the request's credentials); the connection is closed\n"...)
	if _, err := f.w.Write(line); err != nil {
		return 0, err
	}
	return len(p), nil
}
