package main

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
)

// A receiver whose output is not a terminal (a background one, a log file) prints one line per
// request, without bodies; --compact=false prints them.
func TestReceiveCompactByDefaultWithoutTerminal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args   []string
		bodies bool
	}{{nil, false}, {[]string{"--compact=false"}, true}} {
		recv := exec.Command(binary, append([]string{"receive", "--listen", "127.0.0.1:0"}, tc.args...)...)
		var out lockedbuf.Buffer
		recv.Stdout = &out
		stderr, err := recv.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := recv.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stderr).ReadString('\n')
		if err != nil {
			t.Fatalf("receive printed no address: %v", err)
		}
		addr := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
		w := newWorld(t, 3, addr+"/hook", 100)
		if code, stdout, errOut := w.runCmd("sync", "Active users to webhook"); code != 0 {
			t.Fatalf("sync: exit %d\n%s\n%s", code, stdout, errOut)
		}
		controlplanetest.WaitFor(t, "the receiver to print the request", func() bool { return strings.Contains(out.String(), "records=3") })
		_ = recv.Process.Kill()
		_ = recv.Wait()
		if got := strings.Contains(out.String(), "user3@example.com"); got != tc.bodies {
			t.Errorf("receive %v printed bodies: %v, want %v:\n%s", tc.args, got, tc.bodies, out.String())
		}
	}
}
