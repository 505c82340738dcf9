package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var (
	_ datasource.DataSource              = &ModelDataSource{}
	_ datasource.DataSourceWithConfigure = &ModelDataSource{}
)

// ModelDataSource is data.backflow_model: a model looked up by name.
type ModelDataSource struct{ storeHolder }

// NewModelDataSource is the data source factory.
func NewModelDataSource() datasource.DataSource { return &ModelDataSource{} }

func (d *ModelDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_model"
}

func (d *ModelDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up a model by name, with the columns the warehouse described when it was last saved.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{MarkdownDescription: "Name of the model.", Required: true,
				Validators: []validator.String{nameValidator{}}},
			"id":            schema.Int64Attribute{MarkdownDescription: "Id of the model.", Computed: true},
			"connection_id": schema.Int64Attribute{MarkdownDescription: "Id of its warehouse connection.", Computed: true},
			"sql":           schema.StringAttribute{MarkdownDescription: "Its SQL; null for a table model.", Computed: true},
			"table":         schema.StringAttribute{MarkdownDescription: "Its table; null for a SQL model.", Computed: true},
			"columns": schema.ListNestedAttribute{
				MarkdownDescription: "Its columns, in order.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"name": schema.StringAttribute{MarkdownDescription: "Column name.", Computed: true},
						"type": schema.StringAttribute{MarkdownDescription: "Postgres type name.", Computed: true},
					},
				},
			},
		},
	}
}

func (d *ModelDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.setStore(req.ProviderData, &resp.Diagnostics)
}

func (d *ModelDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m modelModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !d.ready(&resp.Diagnostics) {
		return
	}
	x, err := d.store.GetModelByName(ctx, m.Name.ValueString())
	if err != nil {
		lookupError(&resp.Diagnostics, "model", m.Name.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(m.fromModel(ctx, x)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
