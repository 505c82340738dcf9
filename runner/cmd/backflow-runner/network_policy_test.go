package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
)

// These tests send nothing beyond loopback: the network policy refuses 169.254.169.254 before a
// connection is attempted.

// policy returns w's environment with the network policy's settings (exec keeps the last value
// of a variable set twice).
func (w *world) policy(blockPrivate, allowed string) {
	w.env = append(w.env, netpolicy.BlockPrivateEnv+"="+blockPrivate, netpolicy.AllowedNetworksEnv+"="+allowed)
}

// A sync to a link-local address fails at once, naming the address and the setting, without
// the URL; so does `test`.
func TestNetworkPolicyRefusesLinkLocal(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 5, "http://169.254.169.254/hooks/tok3n", 2)
	w.policy("", "")
	for _, args := range [][]string{{"sync", "Active users to webhook"}, {"test", "Active users to webhook"}} {
		code, out, errOut := w.runCmd(args...)
		all := out + errOut
		if code == 0 || !strings.Contains(all, "169.254.169.254 is refused") ||
			!strings.Contains(all, netpolicy.AllowedNetworksEnv) || strings.Contains(all, "tok3n") {
			t.Fatalf("%s: exit %d, want a refusal naming the address and %s, without the URL:\n%s",
				args[0], code, netpolicy.AllowedNetworksEnv, all)
		}
		// Refused on the first attempt, not retried as a network error.
		if strings.Contains(all, "attempts") {
			t.Errorf("%s retried the refused address:\n%s", args[0], all)
		}
	}
	// The run is recorded as failed, with the reason (cut short in the listing).
	code, out, errOut := w.runCmd("runs", "Active users to webhook")
	if code != 0 || !regexp.MustCompile(`failed\s+manual`).MatchString(out) || strings.Contains(out, "succeeded") ||
		!strings.Contains(out, "the batch was not sent") {
		t.Errorf("runs: exit %d, want one failed run with the refusal:\n%s%s", code, out, errOut)
	}
}

// With BACKFLOW_BLOCK_PRIVATE_NETWORKS=1 a loopback receiver gets nothing until
// BACKFLOW_ALLOWED_NETWORKS allows it.
func TestNetworkPolicyBlockPrivate(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, 3, h.URL+"/hook", 10)
	w.policy("1", "")
	code, out, errOut := w.runCmd("sync", "Active users to webhook")
	if code == 0 || !strings.Contains(out+errOut, netpolicy.BlockPrivateEnv+" is on") {
		t.Fatalf("sync: exit %d, want a refusal naming %s:\n%s%s", code, netpolicy.BlockPrivateEnv, out, errOut)
	}
	n := h.Seen()
	if n != 0 {
		t.Fatalf("the refused receiver got %d requests", n)
	}
	w.policy("1", "127.0.0.0/8,::1")
	if code, out, errOut := w.runCmd("sync", "Active users to webhook"); code != 0 || len(h.View()) != 3 {
		t.Fatalf("sync with loopback allowed: exit %d, %d users received\n%s%s", code, len(h.View()), out, errOut)
	}
}

// An invalid setting stops the runner at startup with the setting's name.
func TestNetworkPolicyInvalidSetting(t *testing.T) {
	t.Parallel()
	w := &world{t: t, env: []string{netpolicy.AllowedNetworksEnv + "=10.0.0.0/33"}}
	code, _, errOut := w.runCmd("runs")
	if code != 2 || !strings.Contains(errOut, netpolicy.AllowedNetworksEnv) {
		t.Fatalf("runs with an invalid %s: exit %d, want 2 and a message naming it:\n%s",
			netpolicy.AllowedNetworksEnv, code, errOut)
	}
}
