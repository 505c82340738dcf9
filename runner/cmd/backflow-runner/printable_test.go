package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// evilAnswer would clear the screen, retitle the window, blink and paint a fake line if printed
// raw; with C1 controls (CSI, OSC), a bidi override and bytes that are not UTF-8.
const evilAnswer = "\x1b[2J\x1b[H\x1b]0;PWNED-TITLE\x07\x1b[31mEVIL ANSWER\x1b[0m fake: run 1 succeeded\r" +
	"\u009b5m\u009d0;C1\u009c \u202eREVERSED\xff\xfe"

// mustBePrintable fails when out holds anything a terminal would obey: a C0 control but tab and
// newline, DEL, a C1 control, a bidi override, or bytes that are not UTF-8.
func mustBePrintable(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s prints invalid UTF-8:\n%q", what, out)
	}
	for i, r := range out {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			t.Errorf("%s prints the control character %U at byte %d:\n%q", what, r, i, out)
			return
		}
	}
}

// TestOutsideTextCannotRewriteTheTerminal: a webhook's answer (a refusal's body, a test's body),
// a value in a model's SQL error and a sync's name reach every command's output escaped, in
// text and in JSON (which stays valid and keeps the value).
func TestOutsideTextCannotRewriteTheTerminal(t *testing.T) {
	t.Parallel()
	var testing200 atomic.Bool
	h := webhooktest.New(t)
	h.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if testing200.Load() {
			_, _ = io.WriteString(w, "{\"ok\":true,\"x\":\"\x1b[5mBLINK\x1b[0m\u009b2J\xff\"}\n")
			return true
		}
		if q.Envelope != nil && bytes.Contains(q.Body, []byte(`"unique_id":3,`)) {
			w.WriteHeader(422)
			_, _ = io.WriteString(w, evilAnswer)
			return true
		}
		return false
	})
	w := newWorld(t, 4, h.URL, 1)
	code, out, errOut := w.runCmd("sync", "Active users to webhook")
	if code != 0 || !strings.Contains(out, "rejected   1") && !strings.Contains(out, "rejected  1") {
		t.Logf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 1)
	if err != nil || len(runs) != 1 || runs[0].Counts.Rejected != 1 {
		t.Fatalf("the run: %v %+v\n%s\n%s", err, runs, out, errOut)
	}
	runID := fmt.Sprint(runs[0].ID)
	syncID := fmt.Sprint(w.sync.ID)

	// The answer as the text commands show it: escaped, but there to read.
	for _, args := range [][]string{
		{"deliveries", syncID},
		{"deliveries", syncID, "--failed"},
		{"records", syncID, "--key", "3"},
		{"runs", "show", runID},
	} {
		code, out, errOut := w.runCmd(args...)
		what := strings.Join(args, " ")
		if code != 0 || !strings.Contains(out, `\u001b[2J\u001b[H\u001b]0;PWNED-TITLE\u0007\u001b[31mEVIL ANSWER`) {
			t.Errorf("%s: exit %d, want the answer escaped\n%s\n%s", what, code, out, errOut)
		}
		mustBePrintable(t, what, out)
		mustBePrintable(t, what+" (stderr)", errOut)
	}
	// JSON stays valid and carries the answer (as the delivery log keeps it).
	for _, args := range [][]string{
		{"deliveries", syncID, "--json"},
		{"records", syncID, "--key", "3", "--json"},
		{"runs", "show", runID, "--json"},
		{"runs", "--json"},
	} {
		code, out, errOut := w.runCmd(args...)
		what := strings.Join(args, " ")
		mustBePrintable(t, what, out)
		found := false
		dec := json.NewDecoder(strings.NewReader(out))
		for dec.More() {
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("%s: not valid JSON: %v\n%s", what, err, out)
			}
			b, _ := json.Marshal(v)
			found = found || bytes.Contains(b, []byte(`EVIL ANSWER`))
		}
		if code != 0 || !found && args[0] != "runs" {
			t.Errorf("%s: exit %d, found the answer %v\n%s\n%s", what, code, found, out, errOut)
		}
	}

	// test prints a 2xx answer's body.
	testing200.Store(true)
	code, out, errOut = w.runCmd("test", syncID)
	if code != 0 || !strings.Contains(out, `\u001b[5mBLINK\u001b[0m\u009b2J`) {
		t.Errorf("test: exit %d, want the body escaped\n%s\n%s", code, out, errOut)
	}
	mustBePrintable(t, "test", out)
	testing200.Store(false)

	// A model whose SQL fails with a name it holds in its error (a value would be hidden: the
	// warehouse's rule); a sync whose name holds controls.
	if _, err := w.store.Pool().Exec(w.ctx, `UPDATE backflow.models SET sql =
		'select unique_id, "BOOM'||chr(27)||'[2J'||chr(27)||']0;OWNED'||chr(7)||chr(155)||'31m" AS n from users'`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Pool().Exec(w.ctx, `UPDATE backflow.syncs SET name = 'evil'||chr(27)||'[2J'||chr(155)||'name' WHERE id = $1`,
		w.sync.ID); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = w.runCmd("sync", syncID)
	if code != 1 || !strings.Contains(out+errOut, `BOOM\u001b[2J\u001b]0;OWNED\u0007\u009b31m`) {
		t.Errorf("sync of a failing model: exit %d, want its error escaped\n%s\n%s", code, out, errOut)
	}
	mustBePrintable(t, "sync of a failing model", out)
	mustBePrintable(t, "sync of a failing model (stderr)", errOut)
	for _, args := range [][]string{{"runs", syncID}, {"runs"}, {"deliveries", syncID}, {"records", syncID, "--key", "3"}} {
		code, out, errOut := w.runCmd(args...)
		what := strings.Join(args, " ")
		if code != 0 || !strings.Contains(out, `evil\u001b[2J\u009bname`) && args[0] == "runs" && len(args) == 1 {
			t.Errorf("%s: exit %d, want the name escaped\n%s\n%s", what, code, out, errOut)
		}
		mustBePrintable(t, what, out)
		mustBePrintable(t, what+" (stderr)", errOut)
	}
}

// The printing helpers in process: wrap, the progress line, and what run prints for an error
// and for a usage mistake.
func TestPrintingHelpersEscape(t *testing.T) {
	got := wrap("run failed: "+evilAnswer+"\n second line", 40, "  ")
	mustBePrintable(t, "wrap", got)
	if !strings.Contains(got, `\u001b[2J`) || strings.Count(got, "\n") < 2 {
		t.Errorf("wrap = %q", got)
	}
	var c runner.Counters
	line, _ := describeProgress("name"+evilAnswer, &c, time.Second)
	mustBePrintable(t, "the progress line", line)
	if strings.Contains(line, "\n") {
		t.Errorf("the progress line holds a newline: %q", line)
	}

	var term bytes.Buffer
	s := &statusWriter{w: &term}
	s.status("sync: " + evilAnswer)
	fmt.Fprintf(s, "log line %s\n", evilAnswer)
	// The status writer's own sequences (\r\x1b[K) are the only controls it writes.
	mustBePrintable(t, "the status line", strings.ReplaceAll(term.String(), "\r\x1b[K", ""))

	var stdout, stderr bytes.Buffer
	// A flag name is the operator's text, but it is printed too.
	code := run(context.Background(), []string{"runs", "--" + "\x1b]0;x\x07"}, &stdout, &stderr)
	if code != 2 {
		t.Errorf("runs with a bad flag: exit %d", code)
	}
	mustBePrintable(t, "a bad flag's usage error", stderr.String())
	stderr.Reset()
	code = run(context.Background(), []string{"sync", "a", "b\x1b[2J"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), `b\u001b[2J`) {
		t.Errorf("sync a b: exit %d\n%s", code, stderr.String())
	}
	mustBePrintable(t, "a usage error", stderr.String())
}

// A flag value out of range is a usage error (exit 2) saying what is allowed, not replaced by the
// default; the checks come before the control plane is opened (there is none here).
func TestFlagValuesOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--max-syncs", "-3"}, "--max-syncs -3: want 1 or more"},
		{[]string{"run", "--max-syncs", "0"}, "--max-syncs 0: want 1 or more"},
		{[]string{"run", "--concurrency", "0"}, "--concurrency 0: want 1 or more"},
		{[]string{"run", "--stop-timeout", "-5s"}, "--stop-timeout -5s: want a duration above 0"},
		{[]string{"run", "--stop-timeout", "0"}, "--stop-timeout 0s: want a duration above 0"},
		{[]string{"run", "--poll-interval", "-1s"}, "--poll-interval -1s: want a duration above 0"},
		{[]string{"run", "--rescue-after", "-1m"}, "--rescue-after -1m0s: want a duration above 0"},
		{[]string{"run", "--delivery-retention", "0"}, "--delivery-retention 0s: want a duration above 0"},
		{[]string{"run", "--run-retention", "0"}, "--run-retention 0s: want a duration above 0"},
		{[]string{"sync", "x", "--concurrency", "-1"}, "--concurrency -1: want 1 or more"},
		{[]string{"sync", "x", "--dry-run", "--samples", "-1"}, "--samples -1: want 0 or more"},
		{[]string{"runs", "--limit", "-5"}, "--limit -5: want 1 or more"},
		{[]string{"runs", "--limit", "0"}, "--limit 0: want 1 or more"},
		{[]string{"runs", "show", "3", "--limit", "0"}, "--limit 0: want 1 or more"},
		{[]string{"deliveries", "x", "--limit", "0"}, "--limit 0: want 1 or more"},
		{[]string{"deliveries", "x", "--limit", "-1"}, "--limit -1: want 1 or more"},
		{[]string{"deliveries", "x", "--run", "-3"}, "--run -3: want 0 or more"},
		{[]string{"version", "extra"}, `takes no arguments, got "extra"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s%s", tc.args, code, tc.want, stdout.String(), stderr.String())
		}
	}
	// Several at once are all named.
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", "--max-syncs", "0", "--stop-timeout", "-5s"}, &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "--max-syncs 0") || !strings.Contains(stderr.String(), "--stop-timeout -5s") {
		t.Errorf("run with two bad flags: exit %d\n%s", code, stderr.String())
	}
}

// A control-plane URL pgx refuses is refused saying which part is wrong, never with its
// password.
func TestMalformedControlPlaneURL(t *testing.T) {
	const pw = "s3cr3tPW"
	for _, tc := range []struct{ url, want string }{
		{"postgres://u:" + pw + "@127.0.0.1:5432/db?sslmode=bogus", "failed to configure TLS (sslmode is invalid)"},
		{"postgres://u:" + pw + "@127.0.0.1:5432/db?connect_timeout=abc", `invalid connect_timeout ("abc": invalid syntax)`},
		{"postgres://u:" + pw + "@127.0.0.1:5432/db?connect_timeout=-5", "invalid connect_timeout (negative timeout)"},
		{"postgres://u:" + pw + "@127.0.0.1:5432/db?pool_max_conns=abc", `cannot parse pool_max_conns ("abc": invalid syntax)`},
		{"postgres://u:" + pw + "@127.0.0.1:notaport/db", "invalid port"},
		{"postgres://u:" + pw + "%zz@127.0.0.1:5432/db", "failed to parse as URL (its form is postgres://"},
		{"postgres://u:" + pw + "@127.0.0.1:5432/db?connect_timeout=" + pw, "pgx did not say which part is wrong"},
		{"postgres://127.0.0.1:5432/db?password=" + pw + "&pool_max_conns=" + pw, "pgx did not say which part is wrong"},
		{"host=127.0.0.1 password=" + pw + " sslmode=bogus", "failed to configure TLS (sslmode is invalid)"},
		{"host=127.0.0.1 password=" + pw + " nokeyword", "failed to parse as keyword/value"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"migrate", "--database-url", tc.url}, &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if code != 1 || !strings.Contains(out, "the control-plane URL is not a valid Postgres URL: "+tc.want) {
			t.Errorf("%s: exit %d, want %q\n%s", tc.url, code, tc.want, out)
		}
		if strings.Contains(out, pw) {
			t.Errorf("%s: the password is printed:\n%s", tc.url, out)
		}
	}
}
