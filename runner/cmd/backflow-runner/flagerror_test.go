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
		// A whole number too large for the flag is said so, not as one that is not a number.
		{[]string{"runs", "--limit", "99999999999999999999"},
			`backflow-runner runs: --limit "99999999999999999999": want a whole number from -9223372036854775808 to 9223372036854775807`},
		{[]string{"deliveries", "x", "--run=-99999999999999999999"},
			`backflow-runner deliveries: --run "-99999999999999999999": want a whole number from -9223372036854775808 to 9223372036854775807`},
		{[]string{"runs", "--limit=0x"}, `backflow-runner runs: --limit "0x": want a whole number`},
		{[]string{"trigger", "x", "--wait", "--timeout=3000000h"},
			`backflow-runner trigger: --timeout "3000000h": want a duration of at most 2562047h47m16.854775807s`},
		{[]string{"trigger", "x", "--wait", "--timeout=1.5.h"}, `backflow-runner trigger: --timeout "1.5.h": want a duration such as 30s, 5m or 1h30m`},
	} {
		code, out, errOut := w.runCmd(tc.args...)
		first, _, _ := strings.Cut(errOut, "\n")
		if code != 2 || out != "" || first != tc.want || !strings.Contains(errOut, "Usage: backflow-runner "+tc.args[0]) {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and first line %s, then the usage", tc.args, code, out, errOut, tc.want)
		}
	}
}
