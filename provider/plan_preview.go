package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/printable"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// Counts in the plan: when a plan creates a sync or changes what it sends (its behavior, primary
// key, mappings, model, backfill policy, or its model's SQL or table), the provider previews the
// sync's next run with the planned definition, read-only, and shows the counts and a few keys as
// a warning on the resource. A preview that cannot be made, or takes too long (preview_timeout;
// the previews of a plan together: preview_budget), is a warning too:
// it never fails a plan.

// Preview modes (the provider's `preview`), the default first.
const (
	PreviewChanges = "changes" // preview syncs whose definition the plan changes
	PreviewAlways  = "always"  // preview every sync in the plan
	PreviewOff     = "off"
)

// PreviewModes lists the preview modes, the default first.
var PreviewModes = []string{PreviewChanges, PreviewAlways, PreviewOff}

// DefaultPreviewTimeout bounds one plan-time preview.
const DefaultPreviewTimeout = 30 * time.Second

// DefaultPreviewBudgetTimeouts is the provider's default preview_budget, in preview_timeouts.
const DefaultPreviewBudgetTimeouts = 4

// previewSettings are the provider's preview settings.
type previewSettings struct {
	mode    string        // "" means PreviewChanges
	timeout time.Duration // 0 means DefaultPreviewTimeout
	budget  *previewBudget
	models  *planned[controlplane.Model]
	conns   *planned[controlplane.Connection]
	// later holds the warehouse connections a plan changes to values known only at apply (a url
	// from another resource): their models' columns are known after apply too.
	later *planned[struct{}]
	// laterModels holds the models a plan changes in place whose columns are known only at apply
	// (their SQL names another resource's attribute, or their connection is in later): their
	// syncs' columns are checked then.
	laterModels *planned[struct{}]
	// shown holds the syncs a model's or a warehouse connection's plan previewed (as stored, with
	// the model or connection as planned): with preview = "always", a sync the plan leaves as it
	// is then does not show the same preview again. Those previews reach every sync of the model,
	// also those another configuration manages, which no sync resource of this plan previews.
	shown *planned[struct{}]
	// deleted holds the syncs the plan deletes (their resource left the configuration): a
	// model's or a warehouse connection's plan does not preview a run of them.
	deleted *planned[struct{}]
	// kinds holds the connections the plan replaces with another kind, for the plans of what
	// names them (kind_switch.go). Checked whatever the preview mode.
	kinds *kindPlans
}

// previewBudget bounds how long the previews of one plan (one provider process) read the
// warehouse together: a model or warehouse connection change previews every sync that reads it,
// each reading the model again, so that the previews of a plan, each within preview_timeout,
// could together take hours. Once used, the previews left are skipped, and say so. A nil budget
// bounds nothing.
type previewBudget struct {
	limit time.Duration
	mu    sync.Mutex
	used  time.Duration
}

// left is what is left of the budget (above zero), or false when it is used.
func (b *previewBudget) left() (time.Duration, bool) {
	if b == nil {
		return 0, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit - b.used, b.used < b.limit
}

// spend records d as used.
func (b *previewBudget) spend(d time.Duration) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used += d
}

// planned holds, by id, the models (their planned SQL or table and columns) or the warehouse
// connections (their planned url, database or init_sql) a plan changes in place, so that a sync
// the same plan changes, or a model's syncs, are previewed reading what the plan makes them read:
// Terraform plans a connection before the models whose connection_id names it, and a model before
// the syncs whose model_id names it. A model is described through its connection as planned too
// (ModelResource.describe), so conns holds the connections a plan changes whatever the preview
// mode. One provider configuration serves one plan or apply.
type planned[T any] struct {
	mu   sync.Mutex
	byID map[int64]*T
}

// set records x as planned (nil: the plan leaves id as stored).
func (p *planned[T]) set(id int64, x *T) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byID == nil {
		p.byID = map[int64]*T{}
	}
	if x == nil {
		delete(p.byID, id)
		return
	}
	c := *x
	p.byID[id] = &c
}

// previewOf records that a model's or a warehouse connection's plan previews sync id (shown),
// unless the plan deletes the sync (deleted): false then, and the caller previews nothing. One
// step with deletedSync, so that whichever of the two plans Terraform runs first (or both at
// once), a preview of a deleted sync's next run is either not shown or followed by the sync's
// own word that it is deleted.
func (ps previewSettings) previewOf(id int64) bool {
	if ps.deleted != nil {
		ps.deleted.mu.Lock()
		defer ps.deleted.mu.Unlock()
		if ps.deleted.byID[id] != nil {
			return false
		}
	}
	ps.shown.set(id, &struct{}{})
	return true
}

// deletedSync records that the plan deletes sync id, and reports whether a model's or a warehouse
// connection's plan previewed it already (previewOf).
func (ps previewSettings) deletedSync(id int64) (previewed bool) {
	if ps.deleted == nil {
		return ps.shown.get(id) != nil
	}
	ps.deleted.mu.Lock()
	defer ps.deleted.mu.Unlock()
	if ps.deleted.byID == nil {
		ps.deleted.byID = map[int64]*struct{}{}
	}
	ps.deleted.byID[id] = &struct{}{}
	return ps.shown.get(id) != nil
}

// get returns id as the plan changes it, or nil.
func (p *planned[T]) get(id int64) *T {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byID[id]
}

// providerData is what the provider hands its resources and data sources.
type providerData struct {
	store   *controlplane.Store
	preview previewSettings
	held    *heldRows // rows read for the state (readRow)
}

// plannedFor is what a plan changes besides a sync's own definition, for previewPlan.
type plannedFor struct {
	model *controlplane.Model // the sync's model as planned; nil: as stored
	// conn is the model's warehouse connection as planned; nil: as the settings' conns have it
	// (a connection the same plan changes in place), else as stored.
	conn *controlplane.Connection
	// replaced, when set, says why the plan replaces the sync: the sync previewed is then the
	// new sync (ID 0), whose ledger is empty.
	replaced string
	// of names the resource whose plan shows the preview when it is not the sync's: "model" or
	// "connection" (the sync is then as stored).
	of string
}

// previewPlan previews sync y's next run with what the plan changes (pl) and adds the result to
// diags as a warning.
func previewPlan(ctx context.Context, store *controlplane.Store, ps previewSettings, y *controlplane.Sync, pl plannedFor,
	diags *diag.Diagnostics) {
	throughPlanned := false // read through a connection the plan changes, which the text says
	if pl.conn == nil {
		// The model's warehouse connection as the same plan changes it: the next run reads there.
		m := pl.model
		if m == nil {
			m, _ = store.GetModel(ctx, y.ModelID) // an error: PreviewOn reports it
		}
		if m != nil {
			pl.conn = ps.conns.get(m.ConnectionID)
			throughPlanned = pl.conn != nil
		}
	}
	timeout := ps.timeout
	if timeout <= 0 {
		timeout = DefaultPreviewTimeout
	}
	dryRun := "`backflow-runner sync NAME --dry-run`"
	if y.Name != "" {
		dryRun = fmt.Sprintf("`backflow-runner sync %s --dry-run`", printable.ShellWord(y.Name))
	}
	left, ok := ps.budget.left()
	if !ok {
		diags.AddWarning("Backflow Preview Skipped: "+syncTitle(y.Name),
			fmt.Sprintf("The plan's previews have together read the warehouse for %s, the provider's preview_budget: "+
				"the preview of this sync's next run is skipped, and the plan goes on without it. %s computes it "+
				"after apply; a larger preview_budget shows it in the plan.", warehouse.FormatDuration(ps.budget.limit), dryRun))
		return
	}
	cutBy, raise := fmt.Sprintf("%s, the provider's preview_timeout", timeout), ""
	if ps.budget != nil && left < timeout {
		timeout = left
		cutBy = fmt.Sprintf("what was left (%s) of the provider's preview_budget of %s, which the plan's previews share",
			warehouse.FormatDuration(left.Round(time.Millisecond)), warehouse.FormatDuration(ps.budget.limit))
		raise = "; a larger preview_budget shows it in the plan"
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	p, err := (&runner.Engine{Store: store}).PreviewOn(pctx, y, pl.model, pl.conn, false, previewSamples)
	ps.budget.spend(time.Since(start))
	switch {
	// Past the deadline, whatever the error says: a connect cut by it fails with the dialer's
	// "i/o timeout", which can come back before the context's own timer has marked it done.
	case err != nil && (errors.Is(pctx.Err(), context.DeadlineExceeded) || pastDeadline(pctx)):
		diags.AddWarning("Backflow Preview Cut Short: "+syncTitle(y.Name),
			fmt.Sprintf("Reading the model for a preview of the next run took longer than %s; "+
				"the plan goes on without it. %s computes it after apply%s.", cutBy, dryRun, raise))
		return
	case err != nil:
		diags.AddWarning("Backflow Preview Unavailable: "+syncTitle(y.Name),
			"The next run of the sync could not be previewed (the plan goes on without it): "+err.Error())
		return
	}
	c := p.Counts
	var b strings.Builder
	if pl.replaced != "" {
		fmt.Fprintf(&b, "The plan replaces the sync (%s): the new sync starts with an empty ledger, as a new sync does, "+
			"and the records the old sync delivered are not deleted at the destination.\n\n",
			pl.replaced)
	}
	next := "Its next run"
	if y.Paused {
		b.WriteString("The sync is paused: no run sends anything until `paused = false` is applied.\n\n")
		next = "Once resumed, its next run (as the warehouse is now)"
	}
	switch {
	case p.Mark:
		fmt.Fprintf(&b, "%s will send NOTHING: it records the model's %d records as delivered (initial = %q).",
			next, c.New+c.Changed, y.Initial)
	case p.Blocked != "":
		fmt.Fprintf(&b, "%s would be BLOCKED by its guard and send nothing: %s.", next, p.Blocked)
	default:
		fmt.Fprintf(&b, "%s will send %d new, %d changed and %d deleted records.", next, c.New, c.Changed, c.Deleted)
	}
	switch p.ReadMode {
	case controlplane.ReadIncremental:
		fmt.Fprintf(&b, "\n\nIt reads incrementally: the model returned %d rows (%d invalid) whose cursor %q is at or "+
			"after %q, or NULL; the counts are over those rows, and an incremental read sends no deletes.",
			c.Extracted, c.Invalid, y.Cursor, p.ReadFrom)
		if p.FullReadDue != "" {
			fmt.Fprintf(&b, " A run started at %s or later reads the whole model instead (full_read_every = %s), and sends "+
				"what this preview does not: the deletes, and the changes the cursor missed.", p.FullReadDue, p.FullReadEvery)
		}
	case controlplane.ReadFull:
		fmt.Fprintf(&b, "\n\nIt reads the whole model (%s): the model returned %d rows (%d invalid).", p.ReadWhy, c.Extracted, c.Invalid)
	default:
		fmt.Fprintf(&b, "\n\nThe model returned %d rows (%d invalid).", c.Extracted, c.Invalid)
	}
	if throughPlanned {
		b.WriteString(" The model is read through its warehouse connection as the plan changes it.")
	}
	switch pl.of {
	case "model":
		b.WriteString(" Computed read-only from the warehouse and the sync's ledger with the model as planned and the " +
			"sync as stored (a plan that changes the sync too shows the sync's own preview, with both changes): nothing was sent.")
	case "connection":
		b.WriteString(" Computed read-only from the warehouse as the plan changes the connection, and the sync's ledger, " +
			"with the model and the sync as stored: nothing was sent.")
	default:
		b.WriteString(" Computed read-only from the warehouse and the sync's ledger with the planned definition: nothing was sent.")
	}
	if p.NoKeyInCommon != "" && pl.replaced == "" {
		fmt.Fprintf(&b, "\n\nNote: %s.", p.NoKeyInCommon)
	}
	if why := p.KeyWithheld; why != "" { // its sample keys are left out (runner.KeyWithheld)
		fmt.Fprintf(&b, "\nSample keys are not shown: %s, so the plan does not print it as it is.", why)
		diags.AddAttributeWarning(path.Root("name"), "Backflow Preview: "+syncTitle(y.Name), b.String())
		return
	}
	for _, kind := range []string{"new", "changed", "deleted"} {
		if keys := p.SampleKeys[kind]; len(keys) > 0 {
			fmt.Fprintf(&b, "\n%s: %q", kind, keys)
		}
	}
	diags.AddAttributeWarning(path.Root("name"), "Backflow Preview: "+syncTitle(y.Name), b.String())
}

// pastDeadline reports whether ctx's deadline has passed, even if its timer has not yet marked
// it done.
func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// syncTitle names a sync in a preview's title: `Sync "NAME"`, or `Sync (its name known after
// apply)`, as syncName says.
func syncTitle(name string) string { return "Sync " + syncName(name) }

// syncName is a sync's name quoted, for what the plan says of it, or, for a sync whose name is
// known only after apply (another resource's attribute: the plan's sync has none yet, and a name
// is never blank), says so rather than show an empty name.
func syncName(name string) string {
	if name == "" {
		return "(its name known after apply)"
	}
	return strconv.Quote(name)
}
