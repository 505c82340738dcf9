package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// detail formats a diagnostic body: what happened, what to do, then the original error.
func detail(what, todo string, err error) string {
	s := what
	if todo != "" {
		s += "\n\n" + todo
	}
	if err != nil {
		s += "\n\nOriginal error: " + err.Error()
	}
	return s
}

func addError(diags *diag.Diagnostics, summary, what, todo string, err error) {
	diags.AddError(summary, detail(what, todo, err))
}

func addAttributeError(diags *diag.Diagnostics, p path.Path, summary, what, todo string, err error) {
	diags.AddAttributeError(p, summary, detail(what, todo, err))
}

// notConfigured is reported when an operation needs the store but the provider has none, which
// happens only when database_url or secret_key were unknown during configuration.
func notConfigured(diags *diag.Diagnostics) {
	diags.AddError("Provider Not Configured",
		"The provider has no control-plane connection, because `database_url` or `secret_key` were not known "+
			"when it was configured.\n\nSet them to values known at plan time, or use the "+
			controlplane.DatabaseURLEnv+" and "+controlplane.SecretKeyEnv+" environment variables.")
}

// openStoreError is the diagnostic of a control plane the provider could not open. A server
// with no free connection slot answered, and the URL and the key are not the problem: it is
// said as storeError says it of a later connection (outOfConnections), a plan's first
// connection being the one it refuses most often.
func openStoreError(diags *diag.Diagnostics, err error) {
	if controlplane.NoConnectionSlot(err) {
		outOfConnections(diags, "The provider could not open the Backflow control plane: its server refused a new connection", err)
		return
	}
	addError(diags, "Cannot Open the Control Plane",
		"The provider could not connect to the Backflow control plane or apply its migrations.",
		"Check `database_url` / "+controlplane.DatabaseURLEnv+" and `secret_key` / "+controlplane.SecretKeyEnv+
			", and that the database is reachable.", err)
}

// outOfConnections says that the control plane's server refused a connection for want of a
// free slot; what says what could not be done, up to the reason.
func outOfConnections(diags *diag.Diagnostics, what string, err error) {
	addError(diags, "Control Plane Out of Connections",
		what+", having no free connection slot (its max_connections, or the CONNECTION LIMIT of the "+
			"provider's role or of the database, is reached).",
		"Free connection slots (other clients, runners), raise the limit, or have Terraform open fewer "+
			"connections at once (`terraform apply -parallelism=N`), then run the plan again: it reads what "+
			"the control plane holds, so it shows what this apply wrote and plans what remains.", err)
}

// storeError turns a store error into a diagnostic a user can act on.
func storeError(diags *diag.Diagnostics, action, kind, name string, err error) {
	var inUse *controlplane.InUseError
	switch {
	case errors.Is(err, controlplane.ErrCycle):
		addAttributeError(diags, path.Root("schedule").AtName("after"), "Sync Schedule Cycle",
			fmt.Sprintf("The %s %q cannot be saved: its schedule.after would make syncs wait on each other forever.", kind, name),
			"Remove one of the parents named below from schedule.after.", err)
	case errors.As(err, &inUse):
		addError(diags, "Still In Use",
			fmt.Sprintf("The %s %q cannot be deleted while other definitions use it.", kind, name),
			"Delete those first or point them at something else, then apply again.", err)
	case errors.Is(err, controlplane.ErrNameTaken):
		addAttributeError(diags, path.Root("name"), "Name Already Taken",
			fmt.Sprintf("Another %s in the control plane is already named %q; names are unique.", kind, name),
			"Choose another name, or import the existing one with `terraform import`. A replacement made with "+
				"`lifecycle { create_before_destroy = true }` is created while the one it replaces still holds the "+
				"name: give the replacement a name of its own (e.g. with a version suffix). Two resources of this "+
				"configuration that trade names (a `count` list that lost an element shifts the names of the ones "+
				"after it) meet the same refusal: key them by name with `for_each`, with `moved` blocks from the "+
				"old addresses.", err)
	case errors.Is(err, controlplane.ErrWrongKey):
		wrongKeyError(diags, err)
	case errors.Is(err, controlplane.ErrNotFound):
		addError(diags, "Reference Not Found",
			fmt.Sprintf("Could not %s the %s %q: something it refers to does not exist.", action, kind, name),
			"Check the ids it refers to; they may have been deleted outside Terraform.", err)
	case errors.Is(err, context.Canceled):
		canceledError(diags, fmt.Sprintf("Could not %s the %s %q: Terraform stopped the call (an interrupt, "+
			"Ctrl-C) before the control plane answered.", action, kind, name), err)
	case controlplane.NoConnectionSlot(err):
		// The server answered, refusing the connection: not a network cut, and not the key.
		outOfConnections(diags, fmt.Sprintf("Could not %s the %s %q: the control plane's server refused a new connection",
			action, kind, name), err)
	case controlplane.Unreachable(err):
		// Not "check secret_key": the key has nothing to do with a dropped session. And a write
		// whose answer was lost may have been made: the next plan, which reads the rows, tells.
		what := fmt.Sprintf("Could not %s the %s %q: the control plane stopped answering (a network cut, a "+
			"restart, a failover) before it answered.", action, kind, name)
		if action == "update" || action == "delete" {
			what += fmt.Sprintf(" The %s may have been made all the same, if the control plane took it before it "+
				"stopped answering.", action)
		}
		addError(diags, "Control Plane Unreachable", what,
			"Once the control plane answers again, run the plan: it reads what the control plane holds, so it "+
				"shows what this apply wrote and plans what remains.", err)
	default:
		addError(diags, "Control-Plane Error",
			fmt.Sprintf("Could not %s the %s %q in the control plane.", action, kind, name),
			"Check that the control-plane database is reachable and `secret_key` is the key it was written with.", err)
	}
}

// canceledError reports a call Terraform stopped (its context canceled: an interrupt): neither
// the control plane's reachability nor the key is at fault, as the other errors' hints say.
func canceledError(diags *diag.Diagnostics, what string, err error) {
	addError(diags, "Interrupted", what,
		"Run the plan again when you mean to: it reads the control plane and shows what this apply wrote "+
			"and what remains.", err)
}

// wrongKeyError reports sealed secrets the provider's key cannot open.
func wrongKeyError(diags *diag.Diagnostics, err error) {
	addError(diags, "Cannot Decrypt Connection Secrets",
		"The control plane's connection secrets could not be decrypted with the provider's key: they were "+
			"sealed with another key, or altered in the control plane (each connection's sealed value opens only in its own row).",
		"Set `secret_key` in the provider block (or the "+controlplane.SecretKeyEnv+" environment variable) to "+
			"the key the control plane was written with, the one the runner uses. If it is already, the sealed "+
			"value of the connection the error names was altered in the control plane: restore that row from a "+
			"backup, or replace the connection (`terraform apply -refresh=false -replace=ADDRESS`; the plan shows "+
			"what is replaced with it).", err)
}

// updateError reports a failed update. gone is whether the row itself no longer exists: then it
// was deleted outside Terraform after the plan, which the store's ErrNotFound alone cannot tell
// apart from a missing reference.
func updateError(diags *diag.Diagnostics, kind, name string, id int64, gone bool, err error) {
	if gone {
		addError(diags, titleKind(kind)+" Deleted Outside Terraform",
			fmt.Sprintf("The %s %q (id %d) no longer exists in the control plane: it was deleted after the plan.",
				kind, name, id),
			"Run the plan again: it will plan to create the "+kind+" anew.", err)
		return
	}
	storeError(diags, "update", kind, name, err)
}

// refReadError reports a connection or model that something refers to (at) and that could not
// be read: missing is "<notFound>", anything else (unreachable database, wrong key) says so.
func refReadError(diags *diag.Diagnostics, at path.Path, notFound, kind string, id int64, who, todo string, err error) {
	switch {
	case errors.Is(err, controlplane.ErrNotFound):
		addAttributeError(diags, at, notFound,
			fmt.Sprintf("%s refers to %s %d, which does not exist in the control plane.", who, kind, id), todo, err)
	case errors.Is(err, controlplane.ErrWrongKey):
		wrongKeyError(diags, err)
	case errors.Is(err, context.Canceled):
		canceledError(diags, fmt.Sprintf("%s refers to %s %d, which was not read: Terraform stopped the call "+
			"(an interrupt, Ctrl-C) before the control plane answered.", who, kind, id), err)
	default:
		addAttributeError(diags, at, "Cannot Read "+titleKind(kind),
			fmt.Sprintf("%s refers to %s %d, which could not be read from the control plane.", who, kind, id),
			"Check that the control-plane database is reachable, then plan again.", err)
	}
}

// webhookCheckError reports a failed test-on-save.
func webhookCheckError(diags *diag.Diagnostics, name string, err error) {
	if errors.Is(err, webhook.ErrTokenEndpoint) {
		addAttributeError(diags, path.Root("webhook").AtName("oauth2"), "OAuth2 Token Request Failed",
			fmt.Sprintf("The webhook of connection %q could not be tested: its OAuth2 token endpoint did not issue a "+
				"token, so nothing was sent to the webhook and the connection was not saved.", name),
			"Check oauth2's token_url, client_id, client_secret, scopes and parameters (the error below says what "+
				"the token endpoint answered), or set `test_on_save = false` to save it untested.", err)
		return
	}
	if errors.Is(err, netpolicy.ErrRefused) {
		// Not "set test_on_save = false": the runner would refuse the address at every run.
		addAttributeError(diags, path.Root("webhook"), "Webhook Address Refused",
			fmt.Sprintf("The webhook of connection %q points at an address Backflow's network policy refuses, "+
				"so nothing was sent to it and the connection was not saved.", name),
			"Point `url` at the intended endpoint; if that is this address, allow it in the environment of the "+
				"provider and of the runner as the error below says.", err)
		return
	}
	var ce *webhook.CheckError
	what := fmt.Sprintf("The webhook of connection %q did not pass its test: Backflow sends a HEAD, then a test "+
		"request, and wants HTTP 200.", name)
	if errors.As(err, &ce) {
		// The status and body are in the message: the original error would only repeat them.
		what = fmt.Sprintf("The webhook of connection %q answered the test %s with HTTP %d, not 200. "+
			"First bytes of its body: %q", name, ce.Method, ce.Status, ce.Body)
		err = nil
	}
	addAttributeError(diags, path.Root("webhook"), "Webhook Test Failed", what,
		"Make the endpoint answer 200 to the test request, or set `test_on_save = false` to save it untested.", err)
}

// lookupError reports a data source whose name matches nothing.
func lookupError(diags *diag.Diagnostics, kind, name string, err error) {
	if errors.Is(err, controlplane.ErrNotFound) {
		addAttributeError(diags, path.Root("name"), "No Such "+titleKind(kind),
			fmt.Sprintf("The control plane has no %s named %q.", kind, name),
			"Check the name (it is case-sensitive), or create the "+kind+" first.", err)
		return
	}
	storeError(diags, "read", kind, name, err)
}

func titleKind(kind string) string { return strings.ToUpper(kind[:1]) + kind[1:] }

// destroyHint ends an error a plan raises for a resource (not its deletion). `terraform
// destroy` first plans the configuration, to refresh the state, and stops on that plan's errors;
// the provider cannot tell that plan from any other. So an endpoint or warehouse that is gone,
// with a configuration changed since the last apply, would otherwise keep its resources from
// being destroyed.
const destroyHint = "If this stops a `terraform destroy` (it plans the configuration first, to refresh the " +
	"state), run `terraform destroy -refresh=false`: it destroys what the state holds without planning the " +
	"configuration."

// hintDestroy appends destroyHint to the errors added to resp since it held from diagnostics,
// unless the plan is the resource's deletion. Every ModifyPlan defers it: what fails a plan of a
// changed configuration fails the refresh of a destroy, a create's too (a resource in the
// configuration whose create failed before, against a warehouse now gone).
func hintDestroy(req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, from int) {
	if req.Plan.Raw.IsNull() {
		return
	}
	for i := from; i < len(resp.Diagnostics); i++ {
		d := resp.Diagnostics[i]
		if d.Severity() != diag.SeverityError || strings.Contains(d.Detail(), destroyHint) {
			continue
		}
		detail := strings.TrimRight(d.Detail(), "\n") + "\n\n" + destroyHint
		if p, ok := d.(diag.DiagnosticWithPath); ok && !p.Path().Equal(path.Empty()) {
			resp.Diagnostics[i] = diag.NewAttributeErrorDiagnostic(p.Path(), d.Summary(), detail)
		} else {
			resp.Diagnostics[i] = diag.NewErrorDiagnostic(d.Summary(), detail)
		}
	}
}
