package main

import (
	"os"
	"strings"
	"testing"
)

// A flag the command cannot read is a usage error (exit 2) that names the command and the flag as
// the docs write it (--limit), and says what the flag wants, then the usage; not the flag
// package's "invalid value "x" for flag -limit: parse error" alone on its first line.
func TestFlagErrorsSayWhatTheFlagWants(t *testing.T) {
	t.Parallel()
	w := &world{t: t, env: os.Environ()}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"runs", "--limit", "x"}, `backflow-runner runs: --limit "x": want a whole number`},
		{[]string{"runs", "--json=maybe"}, `backflow-runner runs: --json="maybe": want true or false (--json, or --json=false)`},
		{[]string{"trigger", "x", "--wait", "--timeout", "5"}, `backflow-runner trigger: --timeout "5": want a duration such as 30s, 5m or 1h30m`},
		{[]string{"runs", "--bogus"}, `backflow-runner runs: unknown flag --bogus (the flags are below; a name that begins with a dash goes after --)`},
		{[]string{"records", "x", "--key"}, `backflow-runner records: --key needs a value: --key VALUE`},
	} {
		code, out, errOut := w.runCmd(tc.args...)
		first, _, _ := strings.Cut(errOut, "\n")
		if code != 2 || out != "" || first != tc.want || !strings.Contains(errOut, "Usage: backflow-runner "+tc.args[0]) {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and first line %s, then the usage", tc.args, code, out, errOut, tc.want)
		}
	}
}
