package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestReceiveWarnsAboutSecretFlag: a signing secret on the command line gets a warning that
// names the environment variable; the variable gets none. Neither prints the secret.
func TestReceiveWarnsAboutSecretFlag(t *testing.T) {
	t.Parallel()
	const secret = "whsec_c2VjcmV0LW9uLXRoZS1jb21tYW5kLWxpbmU="
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		warn bool
	}{
		{"flag", []string{"--secret", secret}, nil, true},
		{"environment", nil, []string{"BACKFLOW_RECEIVE_SECRET=" + secret}, false},
	} {
		c := exec.Command(binary, append([]string{"receive", "--listen", "127.0.0.1:0"}, tc.args...)...)
		c.Env = append(os.Environ(), tc.env...)
		stderr, err := c.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// Everything before "listening on" is what receive says at startup.
		var before []string
		r := bufio.NewReader(stderr)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: receive printed no address: %v (%q)", tc.name, err, before)
			}
			if strings.HasPrefix(line, "listening on ") {
				break
			}
			before = append(before, line)
		}
		_ = c.Process.Kill()
		_ = c.Wait()
		out := strings.Join(before, "")
		if strings.Contains(out, secret) {
			t.Errorf("%s: receive prints the secret:\n%s", tc.name, out)
		}
		if warned := strings.Contains(out, "warning: --secret") && strings.Contains(out, "BACKFLOW_RECEIVE_SECRET"); warned != tc.warn {
			t.Errorf("%s: warned %v, want %v:\n%s", tc.name, warned, tc.warn, out)
		}
	}
}
