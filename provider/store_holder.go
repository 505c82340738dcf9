package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// storeHolder gives resources and data sources the provider's store and settings.
type storeHolder struct {
	store   *controlplane.Store
	preview previewSettings
	held    *heldRows
}

// heldRows are the rows this provider process read for a resource's state (readRow): rows the
// state of the configuration being planned holds. One provider process serves one plan, and
// Terraform reads each resource of the state, a tainted one included, before it plans it.
type heldRows struct {
	mu  sync.Mutex
	ids map[string]map[int64]bool // by kind
}

func (h *heldRows) add(kind string, id int64) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ids == nil {
		h.ids = map[string]map[int64]bool{}
	}
	if h.ids[kind] == nil {
		h.ids[kind] = map[int64]bool{}
	}
	h.ids[kind][id] = true
}

func (h *heldRows) has(kind string, id int64) bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ids[kind][id]
}

func (h *storeHolder) setStore(data any, diags *diag.Diagnostics) {
	if data == nil {
		return // the provider is not configured yet (validation), or its settings were unknown
	}
	d, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", data))
		return
	}
	h.store, h.preview, h.held = d.store, d.preview, d.held
}

// ready reports whether the store is available, adding a diagnostic if not.
func (h *storeHolder) ready(diags *diag.Diagnostics) bool {
	if h.store == nil {
		notConfigured(diags)
		return false
	}
	return true
}

// rowGone reports whether the connection, model or sync id no longer exists: an update that
// failed with ErrNotFound either lost its own row or a reference, and only this tells which.
func (h *storeHolder) rowGone(ctx context.Context, kind string, id int64) bool {
	return errors.Is(h.getRow(ctx, kind, id), controlplane.ErrNotFound)
}

// getRow reads the connection, model, sync or notification id, saying only whether it could.
func (h *storeHolder) getRow(ctx context.Context, kind string, id int64) error {
	var err error
	switch kind {
	case "connection":
		_, err = h.store.GetConnection(ctx, id)
	case "model":
		_, err = h.store.GetModel(ctx, id)
	case "sync":
		_, err = h.store.GetSync(ctx, id)
	case "notification":
		_, err = h.store.GetNotification(ctx, id)
	default:
		panic("getRow: unknown kind " + kind)
	}
	return err
}

// created reports whether a create, whose store call returned err and gave the new row id id,
// made the row: then the resource goes into the state, even with an error in diags. A commit
// the control plane did not answer (controlplane.ErrOutcomeUnknown: a network cut, a restart, an
// interrupt mid-apply) is settled by asking the control plane whether it took
// (Store.CreateOutcome, which waits for a commit still on its way, and finds the row of one that
// did, by id id): it did or did not, the
// create succeeded or failed. When the control plane cannot tell, the row is reported and put
// into the state all the same, where Terraform marks it tainted: left out, a row that was made
// would hold its name against the next apply's create (Name Already Taken) until imported by
// hand; tainted, the next plan finds it (and replaces it, or the user untaints it) or finds it
// gone (and creates it).
func (h *storeHolder) created(ctx context.Context, diags *diag.Diagnostics, kind, name string, id int64, err error) bool {
	if err == nil {
		return true
	}
	if !errors.Is(err, controlplane.ErrOutcomeUnknown) || id == 0 {
		storeError(diags, "create", kind, name, err)
		return false
	}
	// ctx, not a context that outlives an interrupt: on a control plane that stopped answering
	// without closing the connection, an interrupt must still end the ask (the row is then kept).
	committed, oerr := h.store.CreateOutcome(ctx, err, func(ctx context.Context) (bool, error) {
		// By its name and id both: after a failover the id may have gone to another's create.
		got, gerr := h.idByName(ctx, kind, name)
		if errors.Is(gerr, controlplane.ErrNotFound) {
			return false, nil
		}
		return gerr == nil && got == id, gerr
	})
	switch {
	case oerr == nil && committed:
		return true
	case oerr == nil:
		storeError(diags, "create", kind, name, err)
		return false
	}
	addError(diags, titleKind(kind)+" Creation Unconfirmed",
		fmt.Sprintf("The control plane stopped answering while it committed the new %s %q (id %d), and could not "+
			"say whether the commit took: it may have been created or not. Terraform records it in the state as id %d, tainted, "+
			"so that a %s that was created is neither lost nor left holding its name.", kind, name, id, id, kind),
		"Once the control plane answers, run the plan again: if the "+kind+" was not created, it plans to create it; "+
			"if it was, it plans to replace it, as Terraform does with a tainted resource. To keep it as it is "+
			"instead, run `terraform untaint ADDRESS` first (for a sync that a runner may have run since: a "+
			"replacement starts with an empty ledger and resends every record).",
		fmt.Errorf("%w; asking again: %w", err, oerr))
	return true
}

// deleteRow deletes the row a resource's state names with del; a row already gone is fine.
func (h *storeHolder) deleteRow(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse,
	kind string, del func(context.Context, int64) error) {
	var id types.Int64
	var name types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("name"), &name)...)
	if resp.Diagnostics.HasError() || !h.ready(&resp.Diagnostics) {
		return
	}
	if err := del(ctx, id.ValueInt64()); err != nil && !errors.Is(err, controlplane.ErrNotFound) {
		storeError(&resp.Diagnostics, "delete", kind, name.ValueString(), err)
	}
}

// readRow reads the row a resource's state names with get. A row deleted outside Terraform
// removes the resource from state (drift shows as a plan to create it); ok is false then, and on
// an error (already in resp's diagnostics).
func readRow[T any](ctx context.Context, h *storeHolder, req resource.ReadRequest, resp *resource.ReadResponse,
	kind string, get func(context.Context, int64) (T, error)) (row T, ok bool) {
	var id types.Int64
	var name types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("name"), &name)...)
	if resp.Diagnostics.HasError() || !h.ready(&resp.Diagnostics) {
		return row, false
	}
	row, err := get(ctx, id.ValueInt64())
	if errors.Is(err, controlplane.ErrNotFound) {
		resp.State.RemoveResource(ctx)
		return row, false
	}
	if err != nil {
		storeError(&resp.Diagnostics, "read", kind, name.ValueString(), err)
		return row, false
	}
	h.held.add(kind, id.ValueInt64())
	return row, true
}

// importRow puts into state the id of the row req.ID names, read with lookup (the store's
// LookupConnection, LookupModel, ...): by id or by name, `id:N` or `name:TEXT` saying which. An
// all-digit ID that is both the id of one row and the name of another is refused, saying how to
// pick each: taking the id would import the other row, and the next apply would rewrite it (its
// name, and a connection's secrets) with the configuration of the one meant.
func importRow[T any](ctx context.Context, h *storeHolder, req resource.ImportStateRequest, resp *resource.ImportStateResponse,
	kind string, lookup func(context.Context, string) (T, error), id func(T) int64) {
	if !h.ready(&resp.Diagnostics) {
		return
	}
	row, err := lookup(ctx, req.ID)
	if err != nil {
		importError(&resp.Diagnostics, kind, req.ID, h.namedOtherwise(ctx, kind, req.ID, err), err)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id(row))...)
}

// warnTakenName warns, at plan, of a new resource whose name a row of the kind already has: a
// row another Terraform state (another workspace or configuration against this control plane)
// manages, or made outside Terraform, or one this plan deletes or renames, which the provider
// cannot tell apart (so a warning, not a refusal). Without it the plan showed a plain create, and
// the apply failed on the name after creating what came before it. A replacement's create is
// planned again without the state, and Terraform shows only its errors, not its warnings: a
// replaced resource, which holds its own name, is not warned of. A tainted resource is planned
// as a create without its state too, and its warnings are shown: a row this state holds
// (heldRows: this tainted resource's own, or another address's that this plan destroys or
// renames) is not said to be another state's, nor to need importing.
func (h *storeHolder) warnTakenName(ctx context.Context, req resource.ModifyPlanRequest, diags *diag.Diagnostics, kind string) {
	var name types.String
	if d := req.Plan.GetAttribute(ctx, path.Root("name"), &name); d.HasError() || name.IsNull() || name.IsUnknown() {
		return
	}
	id, err := h.idByName(ctx, kind, name.ValueString())
	if err != nil {
		return // free, or not known now: the create says
	}
	if h.held.has(kind, id) {
		diags.AddAttributeWarning(path.Root("name"), "Name Already in the Control Plane",
			fmt.Sprintf("This configuration's state holds the %s named %q (id %d), and this plan creates a %s with that "+
				"name. If it is this resource's own row, tainted (`terraform taint`, or a create left unconfirmed), "+
				"the replacement deletes it before it creates the new one: nothing needs doing (`terraform untaint` "+
				"keeps it instead), unless the resource has `lifecycle { create_before_destroy = true }`, whose "+
				"create runs first and fails with Name Already Taken: untaint it, or give it another name. If it is another address that this plan destroys or renames, the create may run "+
				"first and fail with Name Already Taken: a `moved` block from that address keeps the %s rather than "+
				"deleting it and creating it anew.", kind, name.ValueString(), id, kind, kind))
		return
	}
	diags.AddAttributeWarning(path.Root("name"), "Name Already in the Control Plane",
		fmt.Sprintf("The control plane already has a %s named %q (id %d), and this plan creates another one with that "+
			"name. Names are unique: unless this apply deletes or renames that %s first, the create fails with Name "+
			"Already Taken. It may be managed by another Terraform state (another workspace or configuration "+
			"against this control plane), or have been made outside Terraform.\n\nTo manage it from this "+
			"configuration, import it (an `import` block with id = \"id:%d\"), and remove it from the other state "+
			"(`terraform state rm`) if one holds it. To keep both, give this %s another name. If this configuration "+
			"held it under another address, a `moved` block from that address keeps it rather than deleting it and "+
			"creating it anew.", kind, name.ValueString(), id, kind, id, kind))
}

// refuseTakenName refuses, at plan, a rename to a name another row of the kind already has: the
// apply would fail on it, after applying what came before it. Only a rename: a new resource's
// plan cannot be told from a replacement's (Terraform plans a replacement as a create, while the
// row it replaces still holds the name), so a new resource's taken name is only warned of
// (warnTakenName) and the apply refuses it. A name that cannot be looked up is left to the apply
// too.
func (h *storeHolder) refuseTakenName(ctx context.Context, req resource.ModifyPlanRequest, diags *diag.Diagnostics, kind string) {
	if req.Plan.Raw.IsNull() {
		return
	}
	if req.State.Raw.IsNull() {
		h.warnTakenName(ctx, req, diags, kind)
		return
	}
	var name, prior types.String
	var own types.Int64
	diags.Append(req.Plan.GetAttribute(ctx, path.Root("name"), &name)...)
	diags.Append(req.State.GetAttribute(ctx, path.Root("name"), &prior)...)
	diags.Append(req.State.GetAttribute(ctx, path.Root("id"), &own)...)
	if diags.HasError() || name.IsNull() || name.IsUnknown() || prior.Equal(name) {
		return
	}
	id, err := h.idByName(ctx, kind, name.ValueString())
	if err != nil || id == own.ValueInt64() {
		return
	}
	addAttributeError(diags, path.Root("name"), "Name Already Taken",
		fmt.Sprintf("This %s cannot be renamed to %q: another %s in the control plane (id %d) already has that name; "+
			"names are unique.", kind, name.ValueString(), kind, id),
		"Choose another name, or rename or delete the other one first.", nil)
}

// idByName is the id of the connection, model, sync or notification named name.
func (h *storeHolder) idByName(ctx context.Context, kind, name string) (int64, error) {
	switch kind {
	case "connection":
		x, err := h.store.GetConnectionByName(ctx, name)
		if err != nil {
			return 0, err
		}
		return x.ID, nil
	case "model":
		x, err := h.store.GetModelByName(ctx, name)
		if err != nil {
			return 0, err
		}
		return x.ID, nil
	case "sync":
		x, err := h.store.GetSyncByName(ctx, name)
		if err != nil {
			return 0, err
		}
		return x.ID, nil
	case "notification":
		x, err := h.store.GetNotificationByName(ctx, name)
		if err != nil {
			return 0, err
		}
		return x.ID, nil
	}
	panic("idByName: unknown kind " + kind)
}

// importKinds are the kinds of row a resource imports, each its resource type's suffix.
var importKinds = []string{"connection", "model", "sync", "notification"}

// namedOtherwise returns the other kinds of row named ref, when importing ref as a kind found
// none: a sync's name imported as a connection. Ids say nothing of the kind (each kind numbers
// its own rows), so only names are looked up.
func (h *storeHolder) namedOtherwise(ctx context.Context, kind, ref string, err error) []string {
	if !errors.Is(err, controlplane.ErrNotFound) || strings.HasPrefix(ref, "id:") {
		return nil
	}
	name, named := strings.CutPrefix(ref, "name:")
	if _, isID := controlplane.ParseRef(ref); isID && !named {
		return nil // the id of no row of its kind, and no name
	}
	var found []string
	for _, k := range importKinds {
		if k == kind {
			continue
		}
		if _, err := h.idByName(ctx, k, name); err == nil {
			found = append(found, k)
		}
	}
	return found
}

// importError reports an import that found no row to import, or could not ask: a wrong key, an
// unreachable control plane or an interrupt are not a wrong id, and say what they are. others
// are the kinds of row that do have the name imported (namedOtherwise).
func importError(diags *diag.Diagnostics, kind, ref string, others []string, err error) {
	switch {
	case errors.Is(err, controlplane.ErrWrongKey):
		wrongKeyError(diags, err)
	case errors.Is(err, context.Canceled):
		canceledError(diags, fmt.Sprintf("The %s %q was not imported: Terraform stopped the call (an interrupt, "+
			"Ctrl-C) before the control plane answered.", kind, ref), err)
	case errors.Is(err, controlplane.ErrNotFound), errors.Is(err, controlplane.ErrBadRef),
		errors.Is(err, controlplane.ErrAmbiguousRef):
		what := fmt.Sprintf("No %s with the id or name %q could be read from the control plane.", kind, ref)
		if !errors.Is(err, controlplane.ErrNotFound) {
			what = fmt.Sprintf("The %s %q could not be imported.", kind, ref)
		}
		for _, k := range others {
			what += fmt.Sprintf(" The control plane has a %s of that name: import it into a backflow_%s resource.", k, k)
		}
		addError(diags, "Cannot Import "+titleKind(kind), what,
			"Import by the numeric id or the exact name shown by the control plane; id:N or name:TEXT says which it is.", err)
	default:
		addError(diags, "Cannot Import "+titleKind(kind),
			fmt.Sprintf("The %s %q could not be read from the control plane, so nothing was imported.", kind, ref),
			"Check that the control-plane database is reachable and `secret_key` is the key it was written with, "+
				"then import again.", err)
	}
}
