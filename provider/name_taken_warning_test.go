package provider

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// takenWarnings keeps the "Name Already in the Control Plane" warnings among diags, by address.
func takenWarnings(diags []planDiag) map[string]string {
	got := map[string]string{}
	for _, d := range diags {
		if d.Severity == "warning" && d.Summary == "Name Already in the Control Plane" {
			got[d.Address] = d.Detail
		}
	}
	return got
}

// Two Terraform states (workspaces, or two configurations) that declare the same name against
// one control plane: the second one's plan showed a plain create, and its apply failed with
// Name Already Taken after creating what came before. Its plan now warns, naming the row that
// has the name and how to import it. A replacement (here -replace) is planned as a create too,
// while its old row holds the name: it is not warned of.
func TestAccNameTakenByAnotherStateWarnedAtPlan(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	other := &controlplane.Connection{Name: "Another state's hook",
		Webhook: &controlplane.WebhookConfig{URL: hook.URL, Method: "POST"}}
	if err := e.store.CreateConnection(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	d := newTFDir(t)
	mine := webhookConnection("mine", "My hook", hook.URL, "")
	got := takenWarnings(d.plan(e.config(mine, webhookConnection("theirs", "Another state's hook", hook.URL, ""))))
	w, ok := got["backflow_connection.theirs"]
	if !ok || !strings.Contains(w, `already has a connection named "Another state's hook"`) || !strings.Contains(w, `"id:`) {
		t.Errorf("plan creating a connection whose name another state's has: warnings %q, want one for backflow_connection.theirs", got)
	}
	if _, ok := got["backflow_connection.mine"]; ok {
		t.Errorf("a free name is warned of: %q", got)
	}

	// The valid neighbours: its own row's name, planned again, and replaced.
	cfg := e.config(mine)
	d.apply(cfg)
	if got := takenWarnings(d.plan(cfg)); len(got) != 0 {
		t.Errorf("plan of an applied configuration: %q", got)
	}
	var out bytes.Buffer
	if _, err := d.tf.PlanJSON(d.t.Context(), &out, tfexec.Reattach(d.reattach),
		tfexec.Replace("backflow_connection.mine")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "Name Already in the Control Plane") {
		t.Errorf("plan with -replace warns of the replaced connection's own name:\n%s", out.String())
	}
	if !strings.Contains(out.String(), `"action":"replace"`) && !strings.Contains(out.String(), `"replace"`) {
		t.Errorf("plan with -replace does not replace:\n%s", out.String())
	}
}

// A tainted resource (`terraform taint`, or a create left "Creation Unconfirmed") is planned by
// Terraform as a create, without its state, while its own row holds the name: its plan warned
// that another Terraform state or something outside Terraform had the name, and told to import
// the row and `terraform state rm` it from the other state, though the replacement deletes that
// very row before it creates the new one. A row this state holds is not said to be another
// state's: the warning says which it may be (this tainted resource, or another address this
// plan destroys), and a row of another state is still warned of as before.
func TestAccNameTakenByTaintedOwnRowNotAnotherState(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	d := newTFDir(t)
	cfg := e.config(webhookConnection("mine", "Tainted hook", hook.URL, ""))
	d.apply(cfg)
	if err := d.tf.Taint(d.t.Context(), "backflow_connection.mine"); err != nil {
		t.Fatal(err)
	}
	got := takenWarnings(d.plan(cfg))
	if w := got["backflow_connection.mine"]; strings.Contains(w, "another Terraform state") || strings.Contains(w, "state rm") {
		t.Errorf("plan of a tainted connection says its own row is another state's:\n%s", w)
	}
	// "Nothing needs doing" is so only when the old row goes first: with create_before_destroy
	// (which the provider cannot see) the create runs first and fails with Name Already Taken
	// (real terraform: taint, then apply).
	if w := got["backflow_connection.mine"]; !strings.Contains(w, "create_before_destroy") {
		t.Errorf("plan of a tainted connection says nothing needs doing, whatever its lifecycle:\n%s", w)
	}
	d.apply(cfg)
	if n := e.countNamed(t, "connections", "Tainted hook"); n != 1 {
		t.Errorf("%d connections named \"Tainted hook\" after the replacement, want 1", n)
	}

	// The neighbour: a row no state of this configuration holds is still another state's.
	other := &controlplane.Connection{Name: "Their hook", Webhook: &controlplane.WebhookConfig{URL: hook.URL, Method: "POST"}}
	if err := e.store.CreateConnection(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	got = takenWarnings(d.plan(e.config(webhookConnection("mine", "Tainted hook", hook.URL, ""),
		webhookConnection("theirs", "Their hook", hook.URL, ""))))
	if w := got["backflow_connection.theirs"]; !strings.Contains(w, "another Terraform state") {
		t.Errorf("a row of another state: warning %q, want it said to be another state's", w)
	}
}
