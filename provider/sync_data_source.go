package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.DataSource              = &SyncDataSource{}
	_ datasource.DataSourceWithConfigure = &SyncDataSource{}
)

// SyncDataSource is data.backflow_sync: a sync looked up by name.
type SyncDataSource struct{ storeHolder }

// NewSyncDataSource is the data source factory.
func NewSyncDataSource() datasource.DataSource { return &SyncDataSource{} }

func (d *SyncDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_sync"
}

func (d *SyncDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up a sync by name.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{MarkdownDescription: "Name of the sync.", Required: true,
				Validators: []validator.String{nameValidator{}}},
			"id":             schema.Int64Attribute{MarkdownDescription: "Id of the sync.", Computed: true},
			"model_id":       schema.Int64Attribute{MarkdownDescription: "Id of the model it reads.", Computed: true},
			"destination_id": schema.Int64Attribute{MarkdownDescription: "Id of the webhook connection it sends to.", Computed: true},
			"behavior":       computed(behaviorMarkdown()),
			"primary_key":    computed("The model column that identifies a record."),
			"mappings":       mappingsDataSourceSchema(),
			"send_nulls":     schema.BoolAttribute{MarkdownDescription: sendNullsMarkdown, Computed: true},
			"schedule": schema.SingleNestedAttribute{
				MarkdownDescription: "Its schedule; null when it only runs by hand.",
				Computed:            true,
				Attributes: map[string]schema.Attribute{
					"every": computed("Interval as a Go duration; null for a cron or `after` schedule."),
					"cron":  computed("Five-field cron expression in UTC; null for an interval or an `after` schedule."),
					"after": schema.SetAttribute{
						MarkdownDescription: "Ids of the syncs it runs after (it runs once all of them succeeded since its last run); null otherwise.",
						ElementType:         types.Int64Type,
						Computed:            true,
					},
				},
			},
			"batch_size":      schema.NumberAttribute{MarkdownDescription: "Records per request. " + batchBytesMarkdown, Computed: true},
			"guard":           guardDataSourceSchema(),
			"request":         requestDataSourceSchema(),
			"initial":         computed("Its backfill policy: what its first run does with the records the model already has."),
			"cursor":          computed("The model column its incremental reads filter on; null when every run reads the whole model."),
			"cursor_lookback": computed("How far before the highest cursor value read a run starts reading; null for the default."),
			"full_read_every": computed("How often a run reads the whole model, with a cursor; null for the default."),
			"paused":          schema.BoolAttribute{MarkdownDescription: "Whether it is paused.", Computed: true},
			"paused_reason":   computed("Why the runner paused it, if it did."),
		},
	}
}

func (d *SyncDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.setStore(req.ProviderData, &resp.Diagnostics)
}

func (d *SyncDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m syncModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !d.ready(&resp.Diagnostics) {
		return
	}
	y, err := d.store.GetSyncByName(ctx, m.Name.ValueString())
	if err != nil {
		lookupError(&resp.Diagnostics, "sync", m.Name.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(m.fromSync(ctx, y)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
