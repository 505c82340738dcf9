package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

var (
	_ datasource.DataSource              = &SyncPreviewDataSource{}
	_ datasource.DataSourceWithConfigure = &SyncPreviewDataSource{}
)

// previewTimeout bounds how long a preview may read the warehouse.
const previewTimeout = 2 * time.Minute

// previewSamples is how many sample keys a preview keeps per kind.
const previewSamples = 3

// SyncPreviewDataSource is data.backflow_sync_preview: what a sync's next run would send, computed
// read-only (the model read in a read-only transaction and diffed against the ledger; nothing
// sent, nothing moved), as the runner's `sync --dry-run` computes it.
type SyncPreviewDataSource struct{ storeHolder }

// NewSyncPreviewDataSource is the data source factory.
func NewSyncPreviewDataSource() datasource.DataSource { return &SyncPreviewDataSource{} }

type syncPreviewModel struct {
	Sync           types.String `tfsdk:"sync"`
	Full           types.Bool   `tfsdk:"full"`
	ID             types.Int64  `tfsdk:"id"`
	Extracted      types.Int64  `tfsdk:"extracted"`
	Invalid        types.Int64  `tfsdk:"invalid"`
	New            types.Int64  `tfsdk:"new"`
	Changed        types.Int64  `tfsdk:"changed"`
	Deleted        types.Int64  `tfsdk:"deleted"`
	NewSamples     types.List   `tfsdk:"new_samples"`
	ChangedSamples types.List   `tfsdk:"changed_samples"`
	DeletedSamples types.List   `tfsdk:"deleted_samples"`
	Blocked        types.String `tfsdk:"blocked"`
	Mark           types.Bool   `tfsdk:"mark"`
	ReadMode       types.String `tfsdk:"read_mode"`
	ReadFrom       types.String `tfsdk:"read_from"`
	ReadWhy        types.String `tfsdk:"read_why"`
	FullReadDue    types.String `tfsdk:"full_read_due"`
	NoKeyInCommon  types.String `tfsdk:"no_key_in_common"`
}

func (d *SyncPreviewDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_sync_preview"
}

func (d *SyncPreviewDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	count := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{MarkdownDescription: desc, Computed: true}
	}
	samples := func(kind string) schema.ListAttribute {
		return schema.ListAttribute{ElementType: types.StringType, Computed: true,
			MarkdownDescription: fmt.Sprintf("Up to %d keys of the %s records, in key order. Empty for a sync that "+
				"never sends its primary key as it is: a `hash` mapping of it and none sending it as it is, or, for an "+
				"`update_or_create` or `append` sync, mappings none of which sends it (a `mirror` sync's deletes carry it), "+
				"or a `request` whose templates never render the key whole (they hash it, or send a part of it). "+
				"State and plans would show what the sync hashes or withholds so as not to send it.", previewSamples, kind)}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "What a sync's next run would send: counts and sample keys per operation, computed " +
			"read-only when Terraform reads the data source (the model is read in a read-only transaction and diffed " +
			"against the sync's ledger; nothing is sent and nothing moves), as `backflow-runner sync NAME --dry-run` " +
			"computes it. For outputs and policy checks on a plan (OPA, Sentinel). It previews the sync as stored, " +
			"not as the plan changes it: referenced as `backflow_sync.X.id`, Terraform reads it only during apply when " +
			"the plan changes the sync or what it references (its values are unknown in the plan: a policy should fail " +
			"on unknown); given as a literal name, it is read at plan time with the stored definition, whatever the " +
			"plan changes. The plan's `Backflow Preview` warning shows the change's counts. Reading a large model takes as " +
			"long as a run's read; a preview longer than " + previewTimeout.String() + " fails. A preview that fails (its " +
			"warehouse unreachable, its table gone) fails the plan, so that a policy on the counts cannot pass on " +
			"nothing, and the refresh `terraform destroy` starts with: `terraform destroy -refresh=false` does not read it.",
		Attributes: map[string]schema.Attribute{
			"sync": schema.StringAttribute{MarkdownDescription: "The sync's id or name; `id:N` or `name:TEXT` " +
				"says which (needed when a name is all digits and another sync's id).", Required: true,
				Validators: []validator.String{nameValidator{}}},
			"full": schema.BoolAttribute{MarkdownDescription: "Preview a full resync (`sync --full`): every current " +
				"record, no deletes. Defaults to `false`.", Optional: true},
			"id":              count("Id of the sync."),
			"extracted":       count("Rows the model returned."),
			"invalid":         count("Rows with a NULL, duplicated or too long key: never sent."),
			"new":             count("Records whose key was never delivered."),
			"changed":         count("Records whose mapped values changed since they were delivered."),
			"deleted":         count("Keys a mirror sync would send `deleted` for."),
			"new_samples":     samples("new"),
			"changed_samples": samples("changed"),
			"deleted_samples": samples("deleted"),
			"blocked": schema.StringAttribute{Computed: true, MarkdownDescription: "Why the sync's guard would " +
				"block the run, which would then send nothing; null when it would not."},
			"mark": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the run would record the " +
				"records as delivered without sending them (`initial = \"skip_existing\"`: its runs do until one succeeds)."},
			"read_mode": schema.StringAttribute{Computed: true, MarkdownDescription: "For a sync with a `cursor`: `" +
				controlplane.ReadFull + "` (the run would read the whole model) or `" + controlplane.ReadIncremental +
				"` (only the rows at or after `read_from`, and those with a NULL cursor: the counts are over those, " +
				"and it would delete nothing); null for a sync without a cursor."},
			"read_from": schema.StringAttribute{Computed: true, MarkdownDescription: "The cursor value an incremental " +
				"read would start from (the mark minus the lookback), as the warehouse prints it; `(withheld)` when the " +
				"cursor is the primary key column of a sync that never sends it as it is (see the samples); null otherwise."},
			"read_why": schema.StringAttribute{Computed: true, MarkdownDescription: "Why a run of a sync with a `cursor` " +
				"would read the whole model (`read_mode = \"" + controlplane.ReadFull + "\"`), as the run's log and " +
				"`sync --dry-run` say it: e.g. `the sync's definition changed since its last mark`, or that " +
				"`full_read_every` has passed; null otherwise."},
			"full_read_due": schema.StringAttribute{Computed: true, MarkdownDescription: "For an incremental read " +
				"(`read_mode = \"" + controlplane.ReadIncremental + "\"`): when `full_read_every` makes the sync's runs " +
				"read the whole model again (UTC, RFC 3339). A run started then or later is not the one previewed: it " +
				"sends the deletes and the changes the cursor missed, which these counts leave out. Null otherwise."},
			"no_key_in_common": schema.StringAttribute{Computed: true, MarkdownDescription: "Set when none of the " +
				"model's keys is among those the sync delivered before (a whole read of a sync that delivered some): what a " +
				"change of the key's text looks like (its column retyped: `1` became `1.00`), which an `update_or_create` " +
				"run sends as new records beside those the endpoint holds, and no guard stops (not set for an `append` " +
				"sync, whose model is often a window of new events). It says so and what " +
				"to do; null otherwise. A policy can fail on it."},
		},
	}
}

func (d *SyncPreviewDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.setStore(req.ProviderData, &resp.Diagnostics)
}

func (d *SyncPreviewDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m syncPreviewModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !d.ready(&resp.Diagnostics) {
		return
	}
	y, err := d.store.LookupSync(ctx, m.Sync.ValueString())
	switch {
	case errors.Is(err, controlplane.ErrNotFound):
		resp.Diagnostics.AddAttributeError(path.Root("sync"), "No Such Sync",
			fmt.Sprintf("The control plane has no sync with the id or name %q.", m.Sync.ValueString()))
		return
	case errors.Is(err, controlplane.ErrBadRef), errors.Is(err, controlplane.ErrAmbiguousRef):
		addAttributeError(&resp.Diagnostics, path.Root("sync"), "Ambiguous Sync",
			fmt.Sprintf("%q does not name one sync.", m.Sync.ValueString()),
			"Give the sync's id as id:N or its name as name:TEXT.", err)
		return
	}
	if err != nil {
		storeError(&resp.Diagnostics, "read", "sync", m.Sync.ValueString(), err)
		return
	}
	pctx, cancel := context.WithTimeout(ctx, previewTimeout)
	defer cancel()
	p, err := (&runner.Engine{Store: d.store}).DryRun(pctx, y.ID, m.Full.ValueBool(), previewSamples)
	if err != nil {
		detail := fmt.Sprintf("The next run of sync %q could not be previewed.", y.Name)
		if errors.Is(pctx.Err(), context.DeadlineExceeded) {
			detail = fmt.Sprintf("Previewing sync %q took longer than %s.", y.Name, previewTimeout)
		}
		// An error, not a warning with null counts: a policy on them must not pass on nothing.
		resp.Diagnostics.AddError("Cannot Preview the Sync", detail+" Check that its model and warehouse can be read "+
			"(`backflow-runner sync NAME --dry-run` shows the same): "+err.Error()+"\n\n"+destroyHint)
		return
	}
	m.ID = types.Int64Value(y.ID)
	m.Mark = types.BoolValue(p.Mark)
	m.ReadMode, m.ReadFrom, m.ReadWhy = stringOrNull(p.ReadMode), stringOrNull(p.ReadFrom), stringOrNull(p.ReadWhy)
	m.FullReadDue, m.NoKeyInCommon = stringOrNull(p.FullReadDue), stringOrNull(p.NoKeyInCommon)
	m.Blocked = types.StringNull()
	if p.Blocked != "" {
		m.Blocked = types.StringValue(p.Blocked)
	}
	c := p.Counts
	m.Extracted, m.Invalid = types.Int64Value(c.Extracted), types.Int64Value(c.Invalid)
	m.New, m.Changed, m.Deleted = types.Int64Value(c.New), types.Int64Value(c.Changed), types.Int64Value(c.Deleted)
	hidden := p.KeyWithheld != "" // as in the plan's preview: not keys the sync does not send as they are (runner.KeyWithheld)
	for kind, dst := range map[string]*types.List{"new": &m.NewSamples, "changed": &m.ChangedSamples, "deleted": &m.DeletedSamples} {
		keys := p.SampleKeys[kind]
		if keys == nil || hidden {
			keys = []string{}
		}
		l, diags := types.ListValueFrom(ctx, types.StringType, keys)
		resp.Diagnostics.Append(diags...)
		*dst = l
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
