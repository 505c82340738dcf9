package provider

import (
	"context"
	"math"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	datasourceschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A sync's guard (controlplane.Guard): the bounds one run may not exceed.

type guardModel struct {
	MaxDeleted        types.Number  `tfsdk:"max_deleted"`
	MaxDeletedPercent types.Float64 `tfsdk:"max_deleted_percent"`
	MaxChangedPercent types.Float64 `tfsdk:"max_changed_percent"`
	MinModelRows      types.Number  `tfsdk:"min_model_rows"`
}

var guardAttrTypes = map[string]attr.Type{
	"max_deleted": types.NumberType, "max_deleted_percent": types.Float64Type,
	"max_changed_percent": types.Float64Type, "min_model_rows": types.NumberType,
}

// guardDescriptions describe the guard's attributes, for the resource and the data source.
var guardDescriptions = map[string]string{
	"max_deleted":         "At most this many `deleted` records in one run.",
	"max_deleted_percent": "One run deletes at most this percentage (0 to 100) of the keys delivered before it.",
	"max_changed_percent": "One run changes at most this percentage (0 to 100) of the keys delivered before it " +
		"(not checked by a `--full` run, which resends everything on purpose).",
	"min_model_rows": "The model returns at least this many rows with a valid key (NULL, duplicated and too long keys do not count).",
}

const guardMarkdown = "Bounds one run may not exceed. A run that would exceed any of them sends **nothing** " +
	"(not even what comes before the bound), is recorded `blocked` with its counts and the bound it exceeded, and " +
	"waits: run `backflow-runner sync NAME --accept-guard` to send it once, or change the guard. Omitted: none, " +
	"except for a `mirror` sync, which by default deletes at most half of the keys delivered before a run " +
	"(`max_deleted_percent = 50`); set `guard = {}` to turn that off, or set your own bounds."

func guardSchema() schema.SingleNestedAttribute {
	percent := []validator.Float64{float64validator.Between(0, 100)}
	count := []validator.Number{wholeNumberValidator{min: 0, max: math.MaxInt64}}
	return schema.SingleNestedAttribute{
		MarkdownDescription: guardMarkdown,
		Optional:            true,
		Attributes: map[string]schema.Attribute{
			"max_deleted": schema.NumberAttribute{MarkdownDescription: guardDescriptions["max_deleted"],
				Optional: true, Validators: count},
			"max_deleted_percent": schema.Float64Attribute{MarkdownDescription: guardDescriptions["max_deleted_percent"],
				Optional: true, Validators: percent},
			"max_changed_percent": schema.Float64Attribute{MarkdownDescription: guardDescriptions["max_changed_percent"],
				Optional: true, Validators: percent},
			"min_model_rows": schema.NumberAttribute{MarkdownDescription: guardDescriptions["min_model_rows"],
				Optional: true, Validators: count},
		},
	}
}

func guardDataSourceSchema() datasourceschema.SingleNestedAttribute {
	return datasourceschema.SingleNestedAttribute{
		MarkdownDescription: "The guard its definition sets; null when none (a mirror sync then has the default one).",
		Computed:            true,
		Attributes: map[string]datasourceschema.Attribute{
			"max_deleted":         datasourceschema.NumberAttribute{MarkdownDescription: guardDescriptions["max_deleted"], Computed: true},
			"max_deleted_percent": datasourceschema.Float64Attribute{MarkdownDescription: guardDescriptions["max_deleted_percent"], Computed: true},
			"max_changed_percent": datasourceschema.Float64Attribute{MarkdownDescription: guardDescriptions["max_changed_percent"], Computed: true},
			"min_model_rows":      datasourceschema.NumberAttribute{MarkdownDescription: guardDescriptions["min_model_rows"], Computed: true},
		},
	}
}

// toGuard converts the Terraform value; nil when the guard is null or unknown.
func toGuard(ctx context.Context, o types.Object, diags *diag.Diagnostics) *controlplane.Guard {
	if o.IsNull() || o.IsUnknown() {
		return nil
	}
	var g guardModel
	diags.Append(o.As(ctx, &g, objectAsOptions)...)
	return &controlplane.Guard{
		MaxDeleted: wholeNumberPointer(g.MaxDeleted), MaxDeletedPercent: g.MaxDeletedPercent.ValueFloat64Pointer(),
		MaxChangedPercent: g.MaxChangedPercent.ValueFloat64Pointer(), MinModelRows: wholeNumberPointer(g.MinModelRows),
	}
}

// fromGuard converts the stored guard; null when none is set.
func fromGuard(ctx context.Context, g *controlplane.Guard) (types.Object, diag.Diagnostics) {
	if g == nil {
		return types.ObjectNull(guardAttrTypes), nil
	}
	return types.ObjectValueFrom(ctx, guardAttrTypes, guardModel{
		MaxDeleted: wholeNumberPointerValue(g.MaxDeleted), MaxDeletedPercent: types.Float64PointerValue(g.MaxDeletedPercent),
		MaxChangedPercent: types.Float64PointerValue(g.MaxChangedPercent), MinModelRows: wholeNumberPointerValue(g.MinModelRows),
	})
}
