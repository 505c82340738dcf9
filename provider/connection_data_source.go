package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
)

var (
	_ datasource.DataSource              = &ConnectionDataSource{}
	_ datasource.DataSourceWithConfigure = &ConnectionDataSource{}
)

// ConnectionDataSource is data.backflow_connection: a connection looked up by name. It exposes
// no secret: not the URLs, headers or signing secret.
type ConnectionDataSource struct{ storeHolder }

// NewConnectionDataSource is the data source factory.
func NewConnectionDataSource() datasource.DataSource { return &ConnectionDataSource{} }

type connectionDataModel struct {
	ID      types.Int64  `tfsdk:"id"`
	Name    types.String `tfsdk:"name"`
	Kind    types.String `tfsdk:"kind"`
	Webhook types.Object `tfsdk:"webhook"`
}

type webhookDataModel struct {
	Method               types.String `tfsdk:"method"`
	MaxRequestsPerSecond types.Int64  `tfsdk:"max_requests_per_second"`
	TestOnSave           types.Bool   `tfsdk:"test_on_save"`
	Signed               types.Bool   `tfsdk:"signed"`
	RateLimit            types.Object `tfsdk:"rate_limit"`
	Auth                 types.String `tfsdk:"auth"`
}

var webhookDataAttrTypes = map[string]attr.Type{
	"method": types.StringType, "max_requests_per_second": types.Int64Type, "test_on_save": types.BoolType,
	"signed": types.BoolType, "rate_limit": rateLimitType, "auth": types.StringType,
}

func (d *ConnectionDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_connection"
}

func (d *ConnectionDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up a connection by name, e.g. one managed in another configuration. Secrets " +
			"(URLs, headers, signing secrets) are never exposed.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the connection.",
				Required:            true,
				Validators:          []validator.String{nameValidator{}},
			},
			"id": schema.Int64Attribute{MarkdownDescription: "Id of the connection.", Computed: true},
			"kind": schema.StringAttribute{
				MarkdownDescription: "The connection's kind: " + quoteList(append(append([]string(nil), controlplane.WarehouseKinds...), controlplane.KindWebhook)) + ".",
				Computed:            true,
			},
			"webhook": schema.SingleNestedAttribute{
				MarkdownDescription: "The webhook's settings that are not secret; null for a warehouse connection.",
				Computed:            true,
				Attributes: map[string]schema.Attribute{
					"method": schema.StringAttribute{MarkdownDescription: "HTTP method of each request.", Computed: true},
					"max_requests_per_second": schema.Int64Attribute{
						MarkdownDescription: "Most requests per second; null when not paced.", Computed: true,
					},
					"test_on_save": schema.BoolAttribute{
						MarkdownDescription: "Whether the webhook is tested when saved.", Computed: true,
					},
					"signed": schema.BoolAttribute{
						MarkdownDescription: "Whether requests carry Standard Webhooks signatures.", Computed: true,
					},
					"rate_limit": schema.SingleNestedAttribute{
						MarkdownDescription: "How the runner paces requests to it (the resource's `rate_limit`); null when unset.",
						Computed:            true,
						Attributes: map[string]schema.Attribute{
							"mode":                    schema.StringAttribute{MarkdownDescription: "One of " + quoteList(pacing.Modes) + ".", Computed: true},
							"max_requests_per_second": schema.NumberAttribute{MarkdownDescription: "Most requests per second; null when unset.", Computed: true},
							"max_concurrency":         schema.NumberAttribute{MarkdownDescription: "Most requests in flight; null when unset.", Computed: true},
						},
					},
					"auth": schema.StringAttribute{
						MarkdownDescription: "How requests authenticate besides headers: `oauth2`, `basic_auth`, or null for neither.",
						Computed:            true,
					},
				},
			},
		},
	}
}

func (d *ConnectionDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.setStore(req.ProviderData, &resp.Diagnostics)
}

func (d *ConnectionDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m connectionDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !d.ready(&resp.Diagnostics) {
		return
	}
	c, err := d.store.GetConnectionByName(ctx, m.Name.ValueString())
	if err != nil {
		lookupError(&resp.Diagnostics, "connection", m.Name.ValueString(), err)
		return
	}
	m.ID = types.Int64Value(c.ID)
	m.Kind = types.StringValue(c.Kind())
	m.Webhook = types.ObjectNull(webhookDataAttrTypes)
	if w := c.Webhook; w != nil {
		wd := webhookDataModel{
			Method: types.StringValue(w.Method), MaxRequestsPerSecond: types.Int64Null(),
			TestOnSave: types.BoolValue(w.TestOnSave), Signed: types.BoolValue(w.SigningSecret != ""),
			RateLimit: rateLimitObject(ctx, w.RateLimit, &resp.Diagnostics),
			Auth:      types.StringNull(),
		}
		switch {
		case w.OAuth2 != nil:
			wd.Auth = types.StringValue("oauth2")
		case w.BasicAuth != nil:
			wd.Auth = types.StringValue("basic_auth")
		}
		if w.MaxRequestsPerSecond > 0 {
			wd.MaxRequestsPerSecond = types.Int64Value(w.MaxRequestsPerSecond)
		}
		var dg diag.Diagnostics
		m.Webhook, dg = types.ObjectValueFrom(ctx, webhookDataAttrTypes, wd)
		resp.Diagnostics.Append(dg...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
