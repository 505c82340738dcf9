package main

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// TestReceiveSecretFromFile: a BACKFLOW_RECEIVE_SECRET read from a file keeps its final newline
// (or a stray space): receive verifies with the secret without it, instead of answering 401 to
// every correctly signed request. A secret it cannot use is refused at start, without printing
// it, rather than at every request.
func TestReceiveSecretFromFile(t *testing.T) {
	t.Parallel()
	const secret = "whsec_c2VjcmV0LWZyb20tYS1maWxlLXdpdGgtbmV3bGluZQ=="
	for _, env := range []string{secret + "\n", " " + secret + " \r\n"} {
		c := exec.Command(binary, "receive", "--listen", "127.0.0.1:0", "--compact")
		c.Env = append(os.Environ(), "BACKFLOW_RECEIVE_SECRET="+env)
		stderr, err := c.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(stderr)
		var addr string
		var before []string
		for addr == "" {
			line, err := r.ReadString('\n')
			if err != nil {
				_ = c.Wait()
				t.Fatalf("BACKFLOW_RECEIVE_SECRET=%q: receive printed no address: %v (%q)", env, err, before)
			}
			if a, ok := strings.CutPrefix(line, "listening on "); ok {
				addr = strings.TrimSpace(a)
			} else {
				before = append(before, line)
			}
		}
		body := []byte(`{"operation":"upsert","data":[]}`)
		req, err := http.NewRequest("POST", addr+"/hook", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := webhook.Sign(req.Header, secret, "msg_1", time.Now(), body); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		_ = c.Process.Kill()
		_ = c.Wait()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("BACKFLOW_RECEIVE_SECRET=%q: a request signed with the secret answered %d, want 200", env, resp.StatusCode)
		}
	}

	const bad = "whsec_not*base64*at*all"
	c := exec.Command(binary, "receive", "--listen", "127.0.0.1:0")
	c.Env = append(os.Environ(), "BACKFLOW_RECEIVE_SECRET="+bad)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	select {
	case err := <-exited:
		if err == nil || !strings.Contains(out.String(), "BACKFLOW_RECEIVE_SECRET") || strings.Contains(out.String(), "not*base64") {
			t.Errorf("receive with a bad secret: %v\n%s", err, out.String())
		}
	case <-time.After(time.Minute): // a bound, not an assertion: it never stops by itself
		_ = c.Process.Kill()
		<-exited
		t.Errorf("receive with a bad secret still runs a minute on (it started and listens):\n%s", out.String())
	}
}
