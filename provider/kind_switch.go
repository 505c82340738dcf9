package provider

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A connection that changes kind (webhook to postgres, postgres to webhook) is replaced, and so is
// whatever names it by id: a sync or a notification (destination_id), a model (connection_id).
// Terraform deletes those first, then the connection, creates the new connection, and only then
// creates them again, when their create finds a connection of the wrong kind and is refused. The
// deleted sync's ledger (what it delivered) is gone by then: once it is created again its first
// run resends every record, and a mirror sync never deletes what the old one delivered. Their
// plans cannot see which connection an unknown id will be; kindPlans lets them ask what the same
// plan does to the connection they name now, so that such a plan is refused before anything is
// deleted. One provider configuration serves one plan or apply.
type kindPlans struct {
	mu sync.Mutex
	// replaced holds, by their current id, the connections the plan replaces with another kind.
	replaced map[int64]kindChange
	// fresh holds, by kind, the names of the connections the plan creates or replaces: their ids
	// are known only after apply ("": a kind known only after apply). By name, since Terraform
	// plans a replacement twice: as a replacement, then as the create it makes.
	fresh   map[string]map[string]bool
	unnamed int // connections planned with a name known only after apply
}

// kindChange is a connection the plan replaces with another kind: its name, its kinds, and the
// new connection as planned (nil when some of its values are known only after apply).
type kindChange struct {
	name, from, to string
	conn           *controlplane.Connection
}

// planConnection records what a connection's plan does to its kind.
func (k *kindPlans) planConnection(ctx context.Context, req resource.ModifyPlanRequest) {
	if k == nil || req.Plan.Raw.IsNull() {
		return
	}
	var plan connectionModel
	if d := req.Plan.Get(ctx, &plan); d.HasError() {
		return
	}
	to := plannedKind(&plan)
	k.mu.Lock()
	defer k.mu.Unlock()
	if req.State.Raw.IsNull() {
		k.addFresh(to, plan.Name)
		return
	}
	var state connectionModel
	if d := req.State.Get(ctx, &state); d.HasError() || state.ID.IsNull() || state.ID.IsUnknown() {
		return
	}
	from := plannedKind(&state)
	if to == from {
		return
	}
	k.addFresh(to, plan.Name)
	if k.replaced == nil {
		k.replaced = map[int64]kindChange{}
	}
	name := state.Name.ValueString()
	if !plan.Name.IsUnknown() {
		name = plan.Name.ValueString()
	}
	sw := kindChange{name: name, from: from, to: to}
	if to != "" && !plan.Name.IsUnknown() && fullyKnown(plan.Postgres) && fullyKnown(plan.MySQL) && fullyKnown(plan.DuckDB) &&
		fullyKnown(plan.Webhook) {
		if c, d := plan.toConnection(ctx); !d.HasError() {
			c.ID = 0 // known after apply
			sw.conn = c
		}
	}
	k.replaced[state.ID.ValueInt64()] = sw
}

func (k *kindPlans) addFresh(kind string, name types.String) {
	if k.fresh == nil {
		k.fresh = map[string]map[string]bool{}
	}
	if k.fresh[kind] == nil {
		k.fresh[kind] = map[string]bool{}
	}
	key := name.ValueString()
	if name.IsUnknown() {
		k.unnamed++
		key = fmt.Sprintf("\x00%d", k.unnamed) // no name holds a NUL (refuseNUL)
	}
	k.fresh[kind][key] = true
}

// replacedWarehouse is the new warehouse connection as planned, when the plan replaces
// connection id with one of another warehouse kind, its values are known, and it is the only
// warehouse connection the plan makes (so that a model whose connection_id was id and is now
// known only after apply reads it).
func (k *kindPlans) replacedWarehouse(id int64) (kindChange, bool) {
	if k == nil {
		return kindChange{}, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	sw, ok := k.replaced[id]
	if !ok || sw.conn == nil || !sw.conn.IsWarehouse() {
		return kindChange{}, false
	}
	n := len(k.fresh[""])
	for _, kind := range controlplane.WarehouseKinds {
		n += len(k.fresh[kind])
	}
	return sw, n == 1
}

// plannedKind is the kind a connection's blocks say, "" when one is unknown.
func plannedKind(m *connectionModel) string {
	kind := ""
	for _, b := range []struct {
		kind  string
		block types.Object
	}{{controlplane.KindPostgres, m.Postgres}, {controlplane.KindMySQL, m.MySQL}, {controlplane.KindDuckDB, m.DuckDB},
		{controlplane.KindWebhook, m.Webhook}} {
		if b.block.IsUnknown() {
			return ""
		}
		if !b.block.IsNull() {
			kind = b.kind
		}
	}
	return kind
}

// connectionRef is an attribute that names a connection by id, and what it needs the connection
// to be.
type connectionRef struct {
	attribute string // "destination_id"
	of        string // "sync", the resource's kind
	kinds     []string
	needs     string // "a webhook connection"
	// lost says what deleting the resource loses, and keep what to do instead.
	lost, keep string
}

var (
	syncDestinationRef = connectionRef{attribute: "destination_id", of: "sync", kinds: []string{controlplane.KindWebhook},
		needs: "a sync delivers to a webhook connection",
		lost: "deleting the sync deletes its ledger (what it delivered): created again, its first run would resend " +
			"every record, and a mirror sync would never send `deleted` for the records the old one delivered",
		keep: "Keep the connection a webhook (declare the new connection as a backflow_connection of its own), or, " +
			"in an apply of its own first, point destination_id at another webhook connection or remove the sync."}
	notificationDestinationRef = connectionRef{attribute: "destination_id", of: "notification", kinds: []string{controlplane.KindWebhook},
		needs: "a notification sends to a webhook connection",
		lost:  "deleting the notification drops the events still queued for it",
		keep: "Keep the connection a webhook (declare the new connection as a backflow_connection of its own), or, " +
			"in an apply of its own first, point destination_id at another webhook connection or remove the notification."}
	modelConnectionRef = connectionRef{attribute: "connection_id", of: "model", kinds: controlplane.WarehouseKinds,
		needs: "a model reads from a " + quoteList(controlplane.WarehouseKinds) + " connection",
		lost: "the model's syncs are deleted with it, and with them their ledgers (what they delivered): created " +
			"again, their first runs would resend every record, and mirror syncs would never send `deleted` for the " +
			"records the old ones delivered",
		keep: "Keep the connection a warehouse (declare the new connection as a backflow_connection of its own), or, " +
			"in an apply of its own first, point connection_id at another warehouse connection or remove the model."}
)

// check refuses the plan of a resource whose ref names, in its state, a connection this plan
// replaces with a kind the resource cannot use, while the planned id is unknown: the apply would
// delete the resource, then fail to create it. When the plan also creates a connection of a kind
// the resource can use (or of a kind known only after apply), the unknown id may be that one's:
// the plan is warned, not refused.
func (k *kindPlans) check(ctx context.Context, req resource.ModifyPlanRequest, ref connectionRef, diags *diag.Diagnostics) {
	if k == nil || req.Plan.Raw.IsNull() || req.State.Raw.IsNull() {
		return
	}
	var was, now types.Int64
	if d := req.State.GetAttribute(ctx, path.Root(ref.attribute), &was); d.HasError() || was.IsNull() || was.IsUnknown() {
		return
	}
	if d := req.Plan.GetAttribute(ctx, path.Root(ref.attribute), &now); d.HasError() || !now.IsUnknown() {
		return // a known id: its create or update checks the connection it names
	}
	var name types.String
	if d := req.State.GetAttribute(ctx, path.Root("name"), &name); d.HasError() {
		return
	}
	k.mu.Lock()
	sw, ok := k.replaced[was.ValueInt64()]
	other := len(k.fresh[""]) > 0
	for _, kind := range ref.kinds {
		other = other || len(k.fresh[kind]) > 0
	}
	k.mu.Unlock()
	if !ok || sw.to == "" || slices.Contains(ref.kinds, sw.to) {
		return
	}
	what := fmt.Sprintf("The plan replaces connection %q (id %d), which the %s %q names in %s, with a %s connection: "+
		"Terraform would delete the %s first, then fail to create it again, since %s; and %s.",
		sw.name, was.ValueInt64(), ref.of, name.ValueString(), ref.attribute, sw.to, ref.of, ref.needs, ref.lost)
	if other {
		diags.AddAttributeWarning(path.Root(ref.attribute), "Connection Replaced by Another Kind",
			"If "+ref.attribute+" still names that connection: "+what+"\n\n"+ref.keep)
		return
	}
	addAttributeError(diags, path.Root(ref.attribute), "Connection Replaced by Another Kind", what, ref.keep, nil)
}
