package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/numberdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"math/big"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/schedule"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

var (
	_ resource.Resource                   = &SyncResource{}
	_ resource.ResourceWithConfigure      = &SyncResource{}
	_ resource.ResourceWithImportState    = &SyncResource{}
	_ resource.ResourceWithModifyPlan     = &SyncResource{}
	_ resource.ResourceWithValidateConfig = &SyncResource{}
)

// batchBytesMarkdown is batch_size's other bound (controlplane.MaxBatchBytes), for the resource
// and the data source.
var batchBytesMarkdown = fmt.Sprintf("A request also carries at most %d MiB of the records' JSON: wide records go "+
	"fewer to a request than `batch_size`, and a record wider than that alone.", controlplane.MaxBatchBytes>>20)

// SyncResource is backflow_sync: a model's records sent to a webhook connection.
type SyncResource struct{ storeHolder }

// NewSyncResource is the resource factory.
func NewSyncResource() resource.Resource { return &SyncResource{} }

type syncModel struct {
	ID             types.Int64  `tfsdk:"id"`
	Name           types.String `tfsdk:"name"`
	ModelID        types.Int64  `tfsdk:"model_id"`
	DestinationID  types.Int64  `tfsdk:"destination_id"`
	Behavior       types.String `tfsdk:"behavior"`
	PrimaryKey     types.String `tfsdk:"primary_key"`
	Mappings       types.List   `tfsdk:"mappings"`
	SendNulls      types.Bool   `tfsdk:"send_nulls"`
	Schedule       types.Object `tfsdk:"schedule"`
	BatchSize      types.Number `tfsdk:"batch_size"`
	Guard          types.Object `tfsdk:"guard"`
	Request        types.Object `tfsdk:"request"`
	Initial        types.String `tfsdk:"initial"`
	Cursor         types.String `tfsdk:"cursor"`
	CursorLookback types.String `tfsdk:"cursor_lookback"`
	FullReadEvery  types.String `tfsdk:"full_read_every"`
	Paused         types.Bool   `tfsdk:"paused"`
	PausedReason   types.String `tfsdk:"paused_reason"`
}

type scheduleModel struct {
	Every types.String `tfsdk:"every"`
	Cron  types.String `tfsdk:"cron"`
	After types.Set    `tfsdk:"after"`
}

var (
	afterType         = types.SetType{ElemType: types.Int64Type}
	scheduleAttrTypes = map[string]attr.Type{"every": types.StringType, "cron": types.StringType, "after": afterType}
)

// behaviorDescriptions explain each behavior; controlplane.Behaviors fixes the order.
var behaviorDescriptions = map[string]string{
	controlplane.BehaviorUpdateOrCreate: "sends records whose key is new or whose mapped values changed since they were last delivered",
	controlplane.BehaviorAppend:         "sends records whose key was never delivered, never changes",
	controlplane.BehaviorMirror:         "as `update_or_create`, plus a `deleted` operation for delivered keys the model no longer has",
}

func behaviorMarkdown() string {
	s := "What the sync sends: one of " + quoteList(controlplane.Behaviors) + "."
	for _, b := range controlplane.Behaviors {
		s += " `" + b + "` " + behaviorDescriptions[b] + "."
	}
	return s
}

func (r *SyncResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_sync"
}

func (r *SyncResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A sync: sends a model's records to a webhook connection, in batches, as `backflow-runner` " +
			"schedules it. Change is measured against what was successfully delivered, in a ledger keyed by the " +
			"sync, so changing the model, the destination or the primary key replaces the sync. A replaced sync " +
			"starts with an empty ledger: its first run sends every record of its model as new, and a mirror sync " +
			"does not send `deleted` for the records the old one delivered. The plan says so when a change of " +
			"these attributes replaces it, but cannot when Terraform forces the replacement (`terraform apply " +
			"-replace`, `replace_triggered_by`, a tainted sync): Terraform plans those as an unchanged sync, and " +
			"shows none of the provider's warnings for the replacement's own plan. To resend every record and keep " +
			"the ledger, run `backflow-runner sync NAME --full` instead.",
		Attributes: map[string]schema.Attribute{
			"id": schema.Int64Attribute{
				MarkdownDescription: "Id of the sync in the control plane; webhooks receive it as `sync_configuration_id`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Unique name. Webhooks receive it as `sync_configuration_name`. " + nameRule,
				Required:            true,
				Validators:          []validator.String{nameValidator{}},
			},
			"model_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the model whose records are sent. Changing it replaces the sync (and starts a new ledger).",
				Required:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"destination_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the `webhook` connection the records are sent to. Changing it replaces " +
					"the sync (and starts a new ledger), so the new webhook receives every record.",
				Required:      true,
				PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"behavior": schema.StringAttribute{
				MarkdownDescription: behaviorMarkdown(),
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(controlplane.Behaviors...)},
			},
			"primary_key": schema.StringAttribute{
				MarkdownDescription: "The model column that identifies a record. Records with a NULL or repeated key " +
					"are counted as invalid and never sent. Changing it replaces the sync (and starts a new ledger).",
				Required:      true,
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"mappings": mappingsSchema(),
			"send_nulls": schema.BoolAttribute{
				MarkdownDescription: sendNullsMarkdown + " Defaults to `true`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
			},
			"schedule": schema.SingleNestedAttribute{
				MarkdownDescription: "When the runner runs the sync: exactly one of `every`, `cron` or `after`. " +
					"Omitted: only when run by hand (`backflow-runner sync`) or queued (`backflow-runner trigger`, the " +
					"runner's API). Runs start at their slots: an `every` sync's next slot " +
					"counts from the slot its last scheduled run served (or from the start of a run by hand), not " +
					"from when that run started; a runner that was down runs the latest missed slot once, not each " +
					"one.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"every": schema.StringAttribute{
						MarkdownDescription: "An interval as a Go duration, at least `" + schedule.MinEvery.String() +
							"`, e.g. `15m` or `1h30m`. Conflicts with `cron` and `after`.",
						Optional: true,
						Validators: []validator.String{
							everyValidator{},
							stringvalidator.ExactlyOneOf(path.MatchRelative().AtParent().AtName("cron"),
								path.MatchRelative().AtParent().AtName("after")),
						},
					},
					"cron": schema.StringAttribute{
						MarkdownDescription: "A five-field cron expression (minute hour day-of-month month day-of-week), " +
							"evaluated in UTC, e.g. `0 * * * *`; Sunday is `0` or `7`, and names such as `MON` and `JAN` work. With both day fields set (`0 0 1,15 * MON`), a day runs when either matches, but a day field that starts with `*` (`0 0 */2 * MON`) limits the other: a day runs when both match, as Linux cron (and crontab.guru) reads it; before 6 Dec 2026 such a `*/2` ran on the days either matches. What cron libraries read in a way nobody means is refused, with what to write instead: a step longer than its field (`*/61`), an empty list item (`1,,2`), `*-5`. A schedule stored before 5 Dec 2026 that is now refused stops its sync: the runner logs `sync has a bad schedule` at each poll until an apply corrects it. Conflicts with `every` and `after`.",
						Optional:   true,
						Validators: []validator.String{cronValidator{}},
					},
					"after": schema.SetAttribute{
						MarkdownDescription: "Ids of parent syncs, e.g. `[backflow_sync.accounts.id, backflow_sync.plans.id]`: " +
							"the sync runs once **every** parent has succeeded since its own last run (each parent's latest " +
							"run succeeded, and finished after this sync's last run started). A parent whose latest run " +
							"failed or was blocked holds it until that parent succeeds again; a run of this sync that fails " +
							"waits for its parents' next success (or a run by hand). A new sync runs as soon as each parent " +
							"has succeeded once. Conflicts with `every` and `cron`: schedule the parents instead. A sync " +
							"cannot run after itself, nor after a sync that runs after it: cycles are refused at plan " +
							"(and, for parents changed in the same apply, when applying). A deleted parent leaves the set " +
							"(a plan shows it as drift), and holds the sync until its `after` is applied again: replacing " +
							"a parent deletes it before this sync names the new one, and the sync does not run after its " +
							"other parents alone meanwhile, nor after an apply that failed in between. Until then the " +
							"deleted parent's id stays in the set as read, so the next plan writes it even when the " +
							"parent was removed from the configuration on purpose.",
						ElementType: types.Int64Type,
						Optional:    true,
						Validators:  []validator.Set{setvalidator.NoNullValues(), setvalidator.SizeAtLeast(1)},
					},
				},
			},
			"batch_size": schema.NumberAttribute{
				MarkdownDescription: fmt.Sprintf("Records per request, %d to %d. Defaults to %d. ",
					controlplane.MinBatchSize, controlplane.MaxBatchSize, controlplane.DefaultBatchSize) + batchBytesMarkdown,
				Optional:   true,
				Computed:   true,
				Default:    numberdefault.StaticBigFloat(big.NewFloat(controlplane.DefaultBatchSize)),
				Validators: []validator.Number{wholeNumberValidator{min: controlplane.MinBatchSize, max: controlplane.MaxBatchSize}},
			},
			"guard":   guardSchema(),
			"request": requestSchema(),
			"initial": schema.StringAttribute{
				MarkdownDescription: "What the sync's first run does with the records the model already has: `" +
					controlplane.InitialSendAll + "` (the default) sends them all; `" + controlplane.InitialSkipExisting +
					"` records them as delivered without sending them, so only later changes go out (until a run of " +
					"the sync succeeds, its runs do this). For an existing sync: `backflow-runner sync NAME " +
					"--mark-delivered --yes`.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(controlplane.InitialSendAll),
				Validators: []validator.String{stringvalidator.OneOf(controlplane.Initials...)},
			},
			"cursor": schema.StringAttribute{
				MarkdownDescription: "A model column whose value grows whenever a row changes, such as `updated_at`: " +
					"a timestamp, date, integer or text column (text compared byte by byte). With a cursor, a run reads " +
					"only the rows whose cursor is at or after the highest value the last successful run read, minus " +
					"`cursor_lookback`, plus the rows whose cursor is NULL (those are read by every run); the ledger " +
					"still decides what is new or changed, so a row read twice is sent once. Such a run sends no " +
					"deletes: every `full_read_every`, and whenever the sync's definition changed, a run reads the " +
					"whole model (which finds a mirror sync's deletes and rows whose cursor did not move). The " +
					"warehouse does the filtering, so an index on the column makes these runs cheap. Omitted: every " +
					"run reads the whole model.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"cursor_lookback": schema.StringAttribute{
				MarkdownDescription: "How far before the highest cursor value read so far a run starts reading, for rows " +
					"that arrive late (written by a transaction that committed after a later one was read): a Go " +
					"duration, e.g. `15m`. Only for a timestamp or date cursor (a date's bound is rounded down to the " +
					"day); refused for an integer or text cursor, which is read from the highest value read, that " +
					"value included. Defaults to `" + warehouse.FormatDuration(controlplane.DefaultCursorLookback) + "`.",
				Optional: true,
				Validators: []validator.String{
					cursorDurationValidator{what: "cursor_lookback", parse: controlplane.ParseCursorLookback},
					stringvalidator.AlsoRequires(path.MatchRoot("cursor")),
				},
			},
			"full_read_every": schema.StringAttribute{
				MarkdownDescription: "How often a sync with a cursor reads the whole model: a Go duration of at least `" +
					warehouse.FormatDuration(controlplane.MinFullReadEvery) + "`. A full read finds a mirror sync's deletes, and " +
					"what a cursor misses (a row whose cursor went backwards or arrived later than the lookback). " +
					"Defaults to `" + warehouse.FormatDuration(controlplane.DefaultFullReadEvery) + "`.",
				Optional: true,
				Validators: []validator.String{
					cursorDurationValidator{what: "full_read_every", parse: controlplane.ParseFullReadEvery},
					stringvalidator.AlsoRequires(path.MatchRoot("cursor")),
				},
			},
			"paused": schema.BoolAttribute{
				MarkdownDescription: "A paused sync is not scheduled. The runner pauses a sync whose webhook answers " +
					"410 Gone; that shows as drift here, and applying `paused = false` resumes it (an apply planned " +
					"before the pause keeps it). Defaults to `false`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"paused_reason": schema.StringAttribute{
				MarkdownDescription: "Why the runner paused the sync, if it did; cleared when the sync is unpaused.",
				Computed:            true,
			},
		},
	}
}

func (r *SyncResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.setStore(req.ProviderData, &resp.Diagnostics)
}

func (m *syncModel) toSync(ctx context.Context, diags *diag.Diagnostics) *controlplane.Sync {
	y := &controlplane.Sync{
		ID: m.ID.ValueInt64(), Name: m.Name.ValueString(), ModelID: m.ModelID.ValueInt64(),
		DestinationID: m.DestinationID.ValueInt64(), Behavior: m.Behavior.ValueString(),
		PrimaryKey: m.PrimaryKey.ValueString(), Mappings: toMappings(ctx, m.Mappings, diags),
		OmitNulls: !m.SendNulls.IsNull() && !m.SendNulls.IsUnknown() && !m.SendNulls.ValueBool(),
		BatchSize: int(wholeNumber(m.BatchSize)), Paused: m.Paused.ValueBool(),
		Guard: toGuard(ctx, m.Guard, diags), Initial: m.Initial.ValueString(),
		Request: toRequest(ctx, m.Request, diags),
		Cursor:  stringOrEmpty(m.Cursor), CursorLookback: stringOrEmpty(m.CursorLookback), FullReadEvery: stringOrEmpty(m.FullReadEvery),
	}
	if !m.Schedule.IsNull() && !m.Schedule.IsUnknown() {
		var s scheduleModel
		diags.Append(m.Schedule.As(ctx, &s, objectAsOptions)...)
		y.ScheduleEvery, y.ScheduleCron = stringOrEmpty(s.Every), stringOrEmpty(s.Cron)
		y.After = knownInt64s(s.After)
	}
	return y
}

// knownInt64s reads a set of int64; unknown elements (ids of syncs created in the same plan) are
// left out, and a null or unknown set is nil.
func knownInt64s(set types.Set) []int64 {
	if set.IsNull() || set.IsUnknown() {
		return nil
	}
	var out []int64
	for _, e := range set.Elements() {
		if v, ok := e.(types.Int64); ok && !v.IsNull() && !v.IsUnknown() {
			out = append(out, v.ValueInt64())
		}
	}
	return controlplane.NormalizeAfter(out)
}

// fromSync sets m from the stored sync y. m may hold the prior state (Read): a request header map
// configured as {} is kept (fromRequest).
func (m *syncModel) fromSync(ctx context.Context, y *controlplane.Sync) diag.Diagnostics {
	var diags, d diag.Diagnostics
	m.ID = types.Int64Value(y.ID)
	m.Name = types.StringValue(y.Name)
	m.ModelID = types.Int64Value(y.ModelID)
	m.DestinationID = types.Int64Value(y.DestinationID)
	m.Behavior = types.StringValue(y.Behavior)
	m.PrimaryKey = types.StringValue(y.PrimaryKey)
	m.BatchSize = wholeNumberValue(int64(y.BatchSize))
	m.Paused = types.BoolValue(y.Paused)
	m.PausedReason = types.StringNull()
	if y.PausedReason != "" {
		m.PausedReason = types.StringValue(y.PausedReason)
	}
	m.Mappings, d = fromMappings(ctx, y.Mappings)
	diags.Append(d...)
	m.SendNulls = types.BoolValue(!y.OmitNulls)
	m.Initial = types.StringValue(cmp.Or(y.Initial, controlplane.InitialSendAll))
	m.Cursor, m.CursorLookback, m.FullReadEvery = stringOrNull(y.Cursor), stringOrNull(y.CursorLookback), stringOrNull(y.FullReadEvery)
	m.Guard, d = fromGuard(ctx, y.Guard)
	diags.Append(d...)
	m.Request, d = fromRequest(ctx, y.Request, m.Request) // m.Request: the prior state's, if any
	diags.Append(d...)
	m.Schedule = types.ObjectNull(scheduleAttrTypes)
	if y.ScheduleEvery != "" || y.ScheduleCron != "" || len(y.After) > 0 {
		s := scheduleModel{Every: types.StringNull(), Cron: types.StringNull(), After: types.SetNull(types.Int64Type)}
		if y.ScheduleEvery != "" {
			s.Every = types.StringValue(y.ScheduleEvery)
		}
		if y.ScheduleCron != "" {
			s.Cron = types.StringValue(y.ScheduleCron)
		}
		if len(y.After) > 0 {
			s.After, d = types.SetValueFrom(ctx, types.Int64Type, y.After)
			diags.Append(d...)
		}
		m.Schedule, d = types.ObjectValueFrom(ctx, scheduleAttrTypes, s)
		diags.Append(d...)
	}
	return diags
}

// checkRefs checks, against the control plane, that the destination is a webhook connection and
// that primary_key and every mapping source are columns of the model. Unknown values (zero ids,
// empty names) are skipped: ModifyPlan checks what it can, Create/Update check everything.
func (r *SyncResource) checkRefs(ctx context.Context, y *controlplane.Sync, atPlan bool, diags *diag.Diagnostics) {
	if y.DestinationID != 0 {
		c, err := r.store.GetConnection(ctx, y.DestinationID)
		switch {
		case err != nil:
			refReadError(diags, path.Root("destination_id"), "Destination Not Found", "connection", y.DestinationID,
				"The sync "+syncName(y.Name), "Point destination_id at an existing webhook connection.", err)
		case c.Webhook == nil:
			addAttributeError(diags, path.Root("destination_id"), "Not a Webhook Connection",
				fmt.Sprintf("Connection %q (id %d) is a %s connection; a sync delivers to a webhook connection.",
					c.Name, c.ID, c.Kind()),
				"Point destination_id at a backflow_connection with a `webhook` block.", nil)
		}
	}
	if y.ModelID == 0 {
		return
	}
	m, asPlanned, err := r.modelAt(ctx, y.ModelID, atPlan)
	if err != nil {
		refReadError(diags, path.Root("model_id"), "Model Not Found", "model", y.ModelID,
			"The sync "+syncName(y.Name), "Point model_id at an existing model.", err)
		return
	}
	if atPlan && r.preview.laterModels.get(y.ModelID) != nil {
		return // the plan changes the model to columns known only at apply: Create and Update check them
	}
	// The model as this plan changes it, if it does, whose columns the apply stores before it
	// saves the sync (its model_id names the model).
	todo := "Use one of the model's columns, or change the model's SQL to return it."
	if asPlanned {
		todo = "Use one of the columns the model returns as this plan changes it, or change the model's SQL to return it."
	}
	if attribute, problem, fix := checkCursor(m, y); attribute != "" {
		addAttributeError(diags, path.Root(attribute), "Invalid Cursor", problem, fix, nil)
	}
	checkMirrorKey(ctx, r.store, m, y, diags)
	for _, p := range checkColumns(m, y.PrimaryKey, y.Mappings) {
		at := path.Root("primary_key")
		if p.Index >= 0 {
			at = path.Root("mappings").AtListIndex(p.Index).AtName("from")
		}
		addAttributeError(diags, at, "Unknown Model Column",
			fmt.Sprintf("%s is %q, but the model %q has no such column. Its columns are: %s.",
				p.Attribute, p.Column, m.Name, columnNames(m.Columns)),
			todo, nil)
	}
}

// modelAt returns the sync's model: at plan, as the same plan changes its SQL or table in place
// (asPlanned; Terraform plans a model before the syncs whose model_id names it), so that a sync
// moved to a column the model returns only with this change, as a rename needs, is checked
// against the columns the apply will store first; else as stored.
func (r *SyncResource) modelAt(ctx context.Context, id int64, atPlan bool) (m *controlplane.Model, asPlanned bool, err error) {
	if atPlan {
		if m := r.preview.models.get(id); m != nil {
			return m, true, nil
		}
	}
	m, err = r.store.GetModel(ctx, id)
	return m, false, err
}

// checkAfter checks, at plan time, that the known parents in schedule.after exist and that they
// form no cycle with the syncs stored in the control plane (y.ID is 0 for a new sync, which no
// stored sync can run after yet). Parents changed elsewhere in the same plan are seen as stored:
// the control plane refuses a cycle they form when applying (controlplane.setAfter).
func (r *SyncResource) checkAfter(ctx context.Context, y *controlplane.Sync, diags *diag.Diagnostics) {
	if len(y.After) == 0 {
		return
	}
	at := path.Root("schedule").AtName("after")
	all, err := r.store.ListSyncs(ctx)
	if err != nil {
		addAttributeError(diags, at, "Cannot Read the Syncs",
			"Could not read the syncs to check the parents of sync "+syncName(y.Name)+".",
			"Check that the control-plane database is reachable.", err)
		return
	}
	graph := map[int64][]int64{}
	names := map[int64]string{}
	for _, s := range all {
		graph[s.ID] = s.After
		names[s.ID] = s.Name
	}
	for _, p := range y.After {
		if _, ok := names[p]; !ok {
			addAttributeError(diags, at, "Parent Sync Not Found",
				fmt.Sprintf("The sync %s runs after sync %d, which does not exist in the control plane.", syncName(y.Name), p),
				"List ids of existing syncs in schedule.after, e.g. backflow_sync.<name>.id.", nil)
		}
	}
	if y.ID == 0 || diags.HasError() {
		return
	}
	names[y.ID] = y.Name
	graph[y.ID] = y.After
	if cycle := controlplane.FindCycle(graph, y.ID); cycle != nil {
		e := &controlplane.CycleError{}
		for _, id := range cycle {
			e.Names = append(e.Names, names[id])
		}
		storeError(diags, "plan", "sync", y.Name, e)
	}
}

// planDeletion records that the plan deletes the sync (its resource left the configuration), so
// that its model's or warehouse connection's plan, when it changes what the sync reads, does not
// preview a run of it. Terraform may have planned that model or connection first (the sync's
// state depends on them): then its preview of the sync's next run is already shown, and the
// sync's own preview says that the plan deletes the sync instead, as a plan that changes the sync
// shows its own preview.
func (r *SyncResource) planDeletion(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || r.preview.mode == PreviewOff {
		return
	}
	var state syncModel
	if d := req.State.Get(ctx, &state); d.HasError() || state.ID.IsUnknown() || state.ID.IsNull() {
		return
	}
	if r.preview.deletedSync(state.ID.ValueInt64()) {
		resp.Diagnostics.AddWarning("Backflow Preview: "+syncTitle(state.Name.ValueString()),
			"The plan deletes the sync: it runs no more, so the preview above of its next run (with its model or "+
				"warehouse connection as planned) does not apply. The records it delivered stay at the destination.")
	}
}

// ModifyPlan plans paused_reason and checks references and columns against the control plane.
func (r *SyncResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	defer hintDestroy(req, resp, len(resp.Diagnostics))
	if req.Plan.Raw.IsNull() {
		r.planDeletion(ctx, req, resp)
		return
	}
	if r.preview.kinds.check(ctx, req, syncDestinationRef, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	if r.store != nil {
		r.refuseTakenName(ctx, req, &resp.Diagnostics, "sync")
		if resp.Diagnostics.HasError() {
			return
		}
	}
	var plan syncModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Unpausing clears the reason; staying paused keeps it; a new sync has none.
	reason := types.StringNull()
	if !req.State.Raw.IsNull() && !plan.Paused.IsNull() {
		var state syncModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		switch {
		case plan.Paused.IsUnknown():
			reason = types.StringUnknown()
		case plan.Paused.ValueBool() && state.Paused.ValueBool():
			reason = state.PausedReason
		}
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("paused_reason"), reason)...)
	if r.store == nil || resp.Diagnostics.HasError() {
		return
	}
	y := plan.toSync(ctx, &resp.Diagnostics)
	if plan.ModelID.IsUnknown() {
		y.ModelID = 0
	}
	if plan.DestinationID.IsUnknown() {
		y.DestinationID = 0
	}
	if plan.PrimaryKey.IsUnknown() {
		y.PrimaryKey = ""
	}
	r.checkRefs(ctx, y, true, &resp.Diagnostics)
	r.checkAfter(ctx, y, &resp.Diagnostics)
	if !resp.Diagnostics.HasError() && y.Request != nil && y.ModelID != 0 && y.PrimaryKey != "" &&
		fullyKnown(plan.Request) && fullyKnown(plan.Mappings) {
		r.checkTemplates(ctx, y, &resp.Diagnostics)
	}
	if !resp.Diagnostics.HasError() && y.Behavior == controlplane.BehaviorMirror && y.ModelID != 0 &&
		r.preview.laterModels.get(y.ModelID) == nil {
		// Once, when the sync becomes a mirror of this model: created so, made a mirror, or
		// pointed at another model.
		becomes := req.State.Raw.IsNull()
		if !becomes {
			var state syncModel
			resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
			becomes = !plan.Behavior.Equal(state.Behavior) || !plan.ModelID.Equal(state.ModelID)
		}
		if becomes {
			warnTablesWithoutTransactions(ctx, r.store, r.preview, nil, y, &resp.Diagnostics)
		}
	}
	if resp.Diagnostics.HasError() || r.preview.mode == PreviewOff {
		return
	}
	changes := req.State.Raw.IsNull()
	replaced := ""
	if !req.State.Raw.IsNull() {
		var state syncModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		replaced = syncReplacedBy(&plan, &state)
		changes = changes || replaced != "" || !plan.Behavior.Equal(state.Behavior) ||
			!plan.Mappings.Equal(state.Mappings) || !plan.Initial.Equal(state.Initial) ||
			!plan.SendNulls.Equal(state.SendNulls) || !plan.Cursor.Equal(state.Cursor) ||
			!plan.Guard.Equal(state.Guard) ||
			// How a sync with a cursor reads: a shorter full_read_every can make its next run read
			// the whole model, and send the deletes its incremental reads did not see.
			!plan.CursorLookback.Equal(state.CursorLookback) || !plan.FullReadEvery.Equal(state.FullReadEvery) ||
			// Resumed: its next run sends what changed while it was paused (or since the runner
			// paused it), however much that is.
			state.Paused.ValueBool() && !plan.Paused.IsUnknown() && !plan.Paused.ValueBool()
	}
	// preview = "always": every sync, unless the plan leaves it as it is and its model's or
	// warehouse connection's plan showed its preview already (previewSettings.shown).
	changes = changes || r.preview.mode == PreviewAlways && (plan.ID.IsUnknown() || r.preview.shown.get(plan.ID.ValueInt64()) == nil)
	switch {
	case !changes:
	case y.ModelID == 0 || y.PrimaryKey == "" || !previewKnown(&plan) ||
		// The plan changes the model to read what is known only at apply (its SQL names another
		// resource's attribute, or its connection's url does): the model as stored is not what the
		// next run reads.
		r.preview.laterModels.get(y.ModelID) != nil:
		what := ""
		if replaced != "" {
			what = fmt.Sprintf("The plan replaces the sync (%s): the new sync starts with an empty ledger, so its first "+
				"run sends its model's records as new, and the records the old sync delivered are not deleted at the "+
				"destination. ", replaced)
		}
		resp.Diagnostics.AddAttributeWarning(path.Root("name"), "Backflow Preview Unavailable: "+syncTitle(y.Name),
			what+"What the sync's next run will send depends on values known only after apply (e.g. a model created in "+
				"the same plan): `backflow-runner sync NAME --dry-run` shows it then.")
	default:
		if plan.ID.IsUnknown() || replaced != "" {
			// A new sync, or one replaced by a new sync: nothing delivered yet. A replaced sync's
			// planned id is still the old one's (Terraform asks for the replacement's plan
			// again, without the state, but shows only the first plan's warnings).
			y.ID = 0
		} else if req.Plan.Raw.Equal(req.State.Raw) {
			// A plan that leaves the sync as it is (preview = "always") does not write it: its
			// next run sees the time it was last written, which decides whether a mark an
			// earlier release saved holds (the planned sync has none: a sync written since
			// reads in full).
			if stored, err := r.store.GetSync(ctx, y.ID); err == nil {
				y.UpdatedAt = stored.UpdatedAt
			}
		}
		// A model the same plan changes in place is previewed as planned (nil: as stored).
		previewPlan(ctx, r.store, r.preview, y, plannedFor{model: r.preview.models.get(y.ModelID), replaced: replaced},
			&resp.Diagnostics)
	}
}

// previewKnown reports whether every attribute a preview reads besides the model and the key
// (checked apart) is known in plan: a value another resource's attribute gives is known only
// after apply, and a preview with a stand-in for it (an unknown guard limit read as 0, an unknown
// initial as send_all, an unknown mapping name as "") would show what the apply may not make.
func previewKnown(plan *syncModel) bool {
	for _, v := range []attr.Value{plan.Behavior, plan.Mappings, plan.SendNulls, plan.Guard, plan.Initial,
		plan.Cursor, plan.CursorLookback, plan.FullReadEvery, plan.Paused} {
		if !fullyKnown(v) {
			return false
		}
	}
	return true
}

// syncReplacedBy says why a plan from state to plan replaces the sync (an attribute that
// requires replacement changes), or "" when it updates it in place. The replacement is a new
// sync with a new, empty ledger.
func syncReplacedBy(plan, state *syncModel) string {
	for _, a := range []struct {
		name    string
		changed bool
	}{
		{"model_id", !plan.ModelID.Equal(state.ModelID)},
		{"destination_id", !plan.DestinationID.Equal(state.DestinationID)},
		{"primary_key", !plan.PrimaryKey.Equal(state.PrimaryKey)},
	} {
		if a.changed {
			return "its " + a.name + " changes"
		}
	}
	return ""
}

// ValidateConfig refuses text the control plane cannot store (refuseNUL), and checks the request
// block on its own: operations, formats, modes and content types that do not fit together
// (templates are parsed by their validator, rendered in ModifyPlan).
func (r *SyncResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	refuseNUL(req.Config, &resp.Diagnostics)
	var cfg syncModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || cfg.Request.IsNull() || cfg.Request.IsUnknown() {
		return
	}
	spec := toRequest(ctx, cfg.Request, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || spec == nil {
		return
	}
	var m requestModel
	resp.Diagnostics.Append(cfg.Request.As(ctx, &m, objectAsOptions)...)
	if m.Mode.IsUnknown() {
		spec.Mode = "" // neither mode: checks that need it are skipped
	}
	// An operation, or a part of one the checks read, that is not known yet (a variable, at
	// `terraform validate` and the validation before a plan; another resource's attribute) is
	// checked when Terraform validates the configuration again with its values (plan, apply):
	// read as absent, a body from a variable was refused as none ("the `new` request has none").
	for _, o := range []types.Object{m.New, m.Changed, m.Deleted} {
		if o.IsUnknown() {
			return
		}
		if o.IsNull() {
			continue
		}
		a := o.Attributes()
		for _, name := range []string{"method", "format", "body", "content_type"} {
			if v, ok := a[name]; ok && v.IsUnknown() {
				return
			}
		}
	}
	behavior := ""
	if !cfg.Behavior.IsUnknown() {
		behavior = cfg.Behavior.ValueString()
	}
	for _, p := range checkRequestSpec(spec, behavior) {
		addAttributeError(&resp.Diagnostics, p.at, "Invalid Request", p.what, p.do, nil)
	}
}

// checkTemplates renders the planned request's templates for a sample record of the model.
// A model the plan changes to columns known only at apply is skipped: the plan Terraform makes
// again while applying, once the model is saved, checks them.
func (r *SyncResource) checkTemplates(ctx context.Context, y *controlplane.Sync, diags *diag.Diagnostics) {
	if r.preview.laterModels.get(y.ModelID) != nil {
		return
	}
	m, _, err := r.modelAt(ctx, y.ModelID, true)
	if err != nil {
		return // checkRefs reported it
	}
	dest := ""
	if y.DestinationID != 0 {
		if c, err := r.store.GetConnection(ctx, y.DestinationID); err == nil {
			dest = c.Name
		}
	}
	kind := "" // the warehouse's, whose values the sample record's follow
	if c, err := r.store.GetConnection(ctx, m.ConnectionID); err == nil {
		kind = c.Kind()
	}
	checkRequestTemplates(y, m, kind, dest, diags)
}

func (r *SyncResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan syncModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !r.ready(&resp.Diagnostics) {
		return
	}
	y := plan.toSync(ctx, &resp.Diagnostics)
	r.checkRefs(ctx, y, false, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.testRequestOnSave(ctx, y, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	err := r.store.CreateSync(ctx, y) // sets y.ID, which created then reads
	if !r.created(ctx, &resp.Diagnostics, "sync", y.Name, y.ID, err) {
		return
	}
	plan.ID = types.Int64Value(y.ID)
	plan.PausedReason = types.StringNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *SyncResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	y, ok := readRow(ctx, &r.storeHolder, req, resp, "sync", r.store.GetSync)
	if !ok {
		return
	}
	// A deleted parent that holds the sync (controlplane.Store.DeleteSync) stays in its after until
	// an apply writes it, which releases it: the stored after may already be the configured one.
	held, err := r.store.HeldBy(ctx, y.ID)
	if err != nil {
		storeError(&resp.Diagnostics, "read", "sync", y.Name, err)
		return
	}
	y.After = controlplane.NormalizeAfter(append(y.After, held...))
	var state syncModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(state.fromSync(ctx, y)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *SyncResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state syncModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.ready(&resp.Diagnostics) {
		return
	}
	plan.ID = state.ID
	y := plan.toSync(ctx, &resp.Diagnostics)
	// Paused stays as planned (false to false): a pause the runner made since the plan (a 410) is
	// kept, and the next plan shows it as drift.
	y.KeepPause = !y.Paused && !state.Paused.ValueBool()
	r.checkRefs(ctx, y, false, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.Request.Equal(state.Request) {
		if r.testRequestOnSave(ctx, y, &resp.Diagnostics); resp.Diagnostics.HasError() {
			return
		}
	}
	if err := r.store.UpdateSync(ctx, y); err != nil {
		updateError(&resp.Diagnostics, "sync", y.Name, y.ID, errors.Is(err, controlplane.ErrNotFound) && r.rowGone(ctx, "sync", y.ID), err)
		return
	}
	// The state is the plan's (paused_reason as planned, but unknown): a pause kept (KeepPause)
	// shows as drift at the next refresh.
	if plan.PausedReason.IsUnknown() {
		plan.PausedReason = types.StringNull()
		if y.PausedReason != "" && y.Paused == plan.Paused.ValueBool() {
			plan.PausedReason = types.StringValue(y.PausedReason)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *SyncResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.deleteRow(ctx, req, resp, "sync", func(ctx context.Context, id int64) error { return r.store.DeleteSync(ctx, id) })
}

func (r *SyncResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importRow(ctx, &r.storeHolder, req, resp, "sync", r.store.LookupSync, func(x *controlplane.Sync) int64 { return x.ID })
}

// checkMirrorKey refuses a mirror sync keyed on a DuckDB LIST, ARRAY, STRUCT, MAP or UNION
// column: its deletes have only the key's text, DuckDB's VARCHAR cast of it, which does not say
// the JSON its records carry, and its runs fail, saying so (as the plan now does).
func checkMirrorKey(ctx context.Context, store *controlplane.Store, m *controlplane.Model, y *controlplane.Sync, diags *diag.Diagnostics) {
	if y.Behavior != controlplane.BehaviorMirror || y.PrimaryKey == "" {
		return
	}
	for _, c := range m.Columns {
		if c.Name != y.PrimaryKey || !warehouse.DuckNestedType(c.Type) {
			continue
		}
		if conn, err := store.GetConnection(ctx, m.ConnectionID); err != nil || conn.Kind() != controlplane.KindDuckDB {
			return
		}
		addAttributeError(diags, path.Root("primary_key"), "Mirror Sync Keyed on a Nested Column",
			fmt.Sprintf("primary_key is %q, a DuckDB %s column of the model %q. A mirror's deletes have only the key's text, "+
				"DuckDB's VARCHAR cast of it, and cannot name the record as its upserts do (as JSON): the sync's runs fail.",
				c.Name, c.Type, m.Name),
			fmt.Sprintf("Key the sync on a text column the model returns, such as CAST(to_json(%s) AS VARCHAR), "+
				"or use behavior update_or_create or append, which send no deletes.", c.Name), nil)
		return
	}
}
