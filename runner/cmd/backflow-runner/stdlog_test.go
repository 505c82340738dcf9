package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// With --log-format json every line the runner writes to stderr is a JSON object, the standard
// library's log lines among them: net/http writes one, with the log package, when an endpoint
// sends bytes after its answer (here a 204 with a body echoing the request's credentials). That
// line was written as plain text among the JSON lines, and a log shipper parsing them dropped or
// choked on it. It is now a JSON record at WARN, still without the bytes the endpoint sent.
func TestJSONLogHoldsTheStandardLogsLines(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					_, _ = io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\nyou sent: Authorization: Bearer s3cr3t-bearer-token\r\n")
				}
			}()
		}
	}()
	w := newWorld(t, 20, "http://"+ln.Addr().String()+"/hook", 1)
	code, out, errOut := w.runCmd("sync", "Active users to webhook", "--log-format", "json", "--concurrency", "1")
	if code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	var unsolicited int
	sc := bufio.NewScanner(strings.NewReader(errOut))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Errorf("a log line is not JSON: %v: %s", err, sc.Text())
			continue
		}
		if msg, _ := rec["msg"].(string); strings.Contains(msg, "Unsolicited response") {
			unsolicited++
			if rec["level"] != "WARN" {
				t.Errorf("net/http's line is at %v, want WARN: %s", rec["level"], sc.Text())
			}
		}
	}
	if unsolicited == 0 {
		t.Errorf("no log line says net/http found bytes after an answer:\n%s", errOut)
	}
	if strings.Contains(errOut, "s3cr3t") {
		t.Errorf("the log holds what the endpoint sent after its answer:\n%s", errOut)
	}
}
