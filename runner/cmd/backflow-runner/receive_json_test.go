package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/lockedbuf"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// TestReceiveForScripts: `receive --listen 127.0.0.1:0 --json` says the address it bound, prints
// one JSON object per request, and answers its counts at GET /stats: what a script needs, without
// racing for a port or reading the text meant for people.
func TestReceiveForScripts(t *testing.T) {
	t.Parallel()
	const secret = "whsec_c2VjcmV0LWZvci1zY3JpcHRzLXNlY3JldC1mb3I="
	recv := exec.Command(binary, "receive", "--listen", "127.0.0.1:0", "--json")
	recv.Env = append(os.Environ(), receiveSecretEnv+"="+secret)
	var stdout lockedbuf.Buffer
	recv.Stdout = &stdout
	stderr, err := recv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := recv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = recv.Process.Kill(); _ = recv.Wait() })
	line, err := bufio.NewReader(stderr).ReadString('\n')
	if err != nil {
		t.Fatalf("receive printed no address: %v", err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("receive's first line is %q, want listening on http://ADDR", line)
	}
	u, err := url.Parse(addr)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Port() == "0" {
		t.Fatalf("receive printed %q: want the bound address, http://127.0.0.1:PORT", addr)
	}

	meta := &webhook.Meta{SyncRunAt: time.Now(), ConnectionName: "Webhook Test", ModelName: "users", SyncID: 1, SyncName: "users"}
	records := [][]byte{[]byte(`{"id":1}`), []byte(`{"id":2}`), []byte(`{"id":3}`)}
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: addr + "/hook", SigningSecret: secret}}
	if res, err := d.Deliver(context.Background(), meta, webhook.OpChanged, records); err != nil || len(res.Delivered) != 3 {
		t.Fatalf("deliver to receive: %+v, %v", res, err)
	}
	resp, err := http.Post(addr+"/hook", "application/json", strings.NewReader(`{"operation":"deleted","data":[{"id":4}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned request: %d, want 401", resp.StatusCode)
	}

	controlplanetest.WaitFor(t, "receive to print two requests", func() bool { return strings.Count(stdout.String(), "\n") >= 2 })
	var got []webhook.ReceivedRequest
	for _, l := range strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
		var r webhook.ReceivedRequest
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", l, err)
		}
		got = append(got, r)
	}
	want := []webhook.ReceivedRequest{
		{Method: "POST", Path: "/hook", Signature: webhook.SignatureVerified, Operation: "changed", Records: 3, Status: 200},
		{Method: "POST", Path: "/hook", Signature: webhook.SignatureBad, SignatureError: "none sent", Operation: "deleted", Records: 1, Status: 401},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(webhook.ReceivedRequest{}, "Time", "WebhookID", "Body")); diff != "" {
		t.Errorf("printed requests (-want +got):\n%s", diff)
	}

	resp, err = http.Get(addr + webhook.ReceiverStatsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats struct {
		webhook.ReceiverStats
		RecordsByOperation map[string]int `json:"records_by_operation"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		t.Fatalf("GET /stats: %v", err)
	}
	if stats.ReceiverStats != (webhook.ReceiverStats{Requests: 2, Envelopes: 1, Records: 3, BadSignatures: 1}) ||
		!cmp.Equal(stats.RecordsByOperation, map[string]int{"changed": 3}) {
		t.Errorf("GET /stats: %+v", stats)
	}
	if strings.Contains(stdout.String(), secret) {
		t.Errorf("receive printed the secret")
	}
}
