package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	datasourceschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A sync's mappings (controlplane.Mapping): what each record holds, and how (a column, hashed
// or not; a constant; a metadata field of the run). The enums come from controlplane/mappings.go.

type mappingModel struct {
	From      types.String `tfsdk:"from"`
	Constant  types.String `tfsdk:"constant"`
	Metadata  types.String `tfsdk:"metadata"`
	To        types.String `tfsdk:"to"`
	Hash      types.String `tfsdk:"hash"`
	Normalize types.List   `tfsdk:"normalize"`
}

var (
	mappingAttrTypes = map[string]attr.Type{
		"from": types.StringType, "constant": types.StringType, "metadata": types.StringType, "to": types.StringType,
		"hash": types.StringType, "normalize": types.ListType{ElemType: types.StringType},
	}
	mappingType = types.ObjectType{AttrTypes: mappingAttrTypes}
)

// mappingDescriptions describe a mapping's attributes, for the resource and the data source.
var mappingDescriptions = map[string]string{
	"from":     "A model column. Exactly one of `from`, `constant` and `metadata` is set.",
	"constant": "A constant string sent with every record.",
	"metadata": "A value describing the run rather than the record: " + metadataMarkdown() + " Metadata fields " +
		"come after the other fields of a record, are sent with `deleted` records too, and take no part in " +
		"change detection (a run with nothing else changed sends nothing).",
	"to": "The field name in the JSON record. Unique among the mappings.",
	"hash": "Send the column's value as a hash instead: one of " + quoteList(controlplane.HashAlgorithms) +
		" (lower-case hex digest of the value's text, after `normalize`). The text of a string is its " +
		"characters; of any other value, its JSON as the record would carry it (`42`, `3.50`, `true`, a " +
		"timestamp's string such as `2019-12-08 14:19:52`). NULL stays `null`. Only with `from`; when it hashes " +
		"the `primary_key` column, `deleted` records carry the hashed key too.",
	"normalize": "Steps applied, in order, to the value's text before it is hashed (only with `hash`): " +
		normalizeMarkdown() + " For e-mail matching: `[\"trim\", \"lowercase\"]`.",
}

func metadataMarkdown() string {
	var parts []string
	for _, f := range controlplane.MetadataFields {
		parts = append(parts, "`"+f+"`: "+controlplane.MetadataDescriptions[f])
	}
	return strings.Join(parts, "; ") + "."
}

func normalizeMarkdown() string {
	var parts []string
	for _, n := range controlplane.Normalizations {
		parts = append(parts, "`"+n+"` "+controlplane.NormalizationDescriptions[n])
	}
	return strings.Join(parts, ", ") + "."
}

const sendNullsMarkdown = "Whether a field whose value is NULL is sent: `true` (the default) sends it as `null`; " +
	"`false` leaves the field out of the record (a receiver that treats a missing field as \"leave as is\" then " +
	"keeps its value). Changing it resends the records that have a NULL."

func mappingsSchema() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		MarkdownDescription: "What each record holds: model columns (`from`, optionally `hash`ed), constants " +
			"(`constant`) or metadata fields of the run (`metadata`), each under the name `to`. Omitted: every model " +
			"column under its own name.",
		Optional:   true,
		Validators: []validator.List{listvalidator.SizeAtLeast(1), uniqueTargetsValidator{}},
		NestedObject: schema.NestedAttributeObject{
			Attributes: map[string]schema.Attribute{
				"from": schema.StringAttribute{
					MarkdownDescription: mappingDescriptions["from"],
					Optional:            true,
					Validators: []validator.String{
						stringvalidator.LengthAtLeast(1),
						stringvalidator.ExactlyOneOf(path.MatchRelative().AtParent().AtName("constant"),
							path.MatchRelative().AtParent().AtName("metadata")),
					},
				},
				"constant": schema.StringAttribute{MarkdownDescription: mappingDescriptions["constant"], Optional: true},
				"metadata": schema.StringAttribute{
					MarkdownDescription: mappingDescriptions["metadata"],
					Optional:            true,
					Validators:          []validator.String{stringvalidator.OneOf(controlplane.MetadataFields...)},
				},
				"to": schema.StringAttribute{
					MarkdownDescription: mappingDescriptions["to"],
					Required:            true,
					Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				},
				"hash": schema.StringAttribute{
					MarkdownDescription: mappingDescriptions["hash"],
					Optional:            true,
					Validators: []validator.String{
						stringvalidator.OneOf(controlplane.HashAlgorithms...),
						onlyWithFrom{what: "hash", why: "a constant or a metadata field cannot be hashed"},
					},
				},
				"normalize": schema.ListAttribute{
					MarkdownDescription: mappingDescriptions["normalize"],
					ElementType:         types.StringType,
					Optional:            true,
					Validators: []validator.List{
						listvalidator.NoNullValues(),
						listvalidator.SizeAtLeast(1),
						listvalidator.ValueStringsAre(stringvalidator.OneOf(controlplane.Normalizations...)),
						listvalidator.AlsoRequires(path.MatchRelative().AtParent().AtName("hash")),
					},
				},
			},
		},
	}
}

func mappingsDataSourceSchema() datasourceschema.ListNestedAttribute {
	computed := func(desc string) datasourceschema.StringAttribute {
		return datasourceschema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	return datasourceschema.ListNestedAttribute{
		MarkdownDescription: "Its mappings; null when it sends every column under its own name.",
		Computed:            true,
		NestedObject: datasourceschema.NestedAttributeObject{
			Attributes: map[string]datasourceschema.Attribute{
				"from":     computed("A model column; null for a constant or a metadata field."),
				"constant": computed("A constant; null for a column or a metadata field."),
				"metadata": computed("A metadata field of the run; null for a column or a constant. " + metadataMarkdown()),
				"to":       computed(mappingDescriptions["to"]),
				"hash":     computed("The hash the column's value is sent as; null when sent as it is."),
				"normalize": datasourceschema.ListAttribute{
					MarkdownDescription: "Steps applied to the value's text before it is hashed; null for none.",
					ElementType:         types.StringType, Computed: true,
				},
			},
		},
	}
}

// onlyWithFrom refuses an attribute of a mapping that is not a column (`from`).
type onlyWithFrom struct{ what, why string }

var _ validator.String = onlyWithFrom{}

func (v onlyWithFrom) Description(context.Context) string {
	return "only with `from`: " + v.why
}
func (v onlyWithFrom) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v onlyWithFrom) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() {
		return
	}
	var from types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, req.Path.ParentPath().AtName("from"), &from)...)
	if resp.Diagnostics.HasError() || !from.IsNull() {
		return // a column, or known only later
	}
	addAttributeError(&resp.Diagnostics, req.Path, fmt.Sprintf("`%s` Needs a Column", v.what),
		fmt.Sprintf("This mapping sets `%s` but no `from`: %s.", v.what, v.why),
		fmt.Sprintf("Remove `%s`, or map the column the value comes from with `from`.", v.what), nil)
}

// toMappings reads the mappings; nil when null or unknown.
func toMappings(ctx context.Context, l types.List, diags *diag.Diagnostics) []controlplane.Mapping {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var ms []mappingModel
	diags.Append(l.ElementsAs(ctx, &ms, true)...)
	out := make([]controlplane.Mapping, len(ms))
	for i, mp := range ms {
		out[i] = controlplane.Mapping{From: stringOrEmpty(mp.From), To: stringOrEmpty(mp.To),
			Metadata: stringOrEmpty(mp.Metadata), Hash: stringOrEmpty(mp.Hash)}
		if !mp.Constant.IsNull() && !mp.Constant.IsUnknown() {
			c := mp.Constant.ValueString()
			out[i].Constant = &c
		}
		if !mp.Normalize.IsNull() && !mp.Normalize.IsUnknown() {
			diags.Append(mp.Normalize.ElementsAs(ctx, &out[i].Normalize, true)...)
		}
	}
	return out
}

// fromMappings is the Terraform value of stored mappings: null for nil.
func fromMappings(ctx context.Context, mappings []controlplane.Mapping) (types.List, diag.Diagnostics) {
	if mappings == nil {
		return types.ListNull(mappingType), nil
	}
	var diags diag.Diagnostics
	ms := make([]mappingModel, len(mappings))
	for i, mp := range mappings {
		ms[i] = mappingModel{From: types.StringNull(), Constant: types.StringNull(), Metadata: types.StringNull(),
			To: types.StringValue(mp.To), Hash: types.StringNull(), Normalize: types.ListNull(types.StringType)}
		switch {
		case mp.Constant != nil:
			ms[i].Constant = types.StringValue(*mp.Constant)
		case mp.Metadata != "":
			ms[i].Metadata = types.StringValue(mp.Metadata)
		default:
			ms[i].From = types.StringValue(mp.From)
		}
		if mp.Hash != "" {
			ms[i].Hash = types.StringValue(mp.Hash)
		}
		if len(mp.Normalize) > 0 {
			var d diag.Diagnostics
			ms[i].Normalize, d = types.ListValueFrom(ctx, types.StringType, mp.Normalize)
			diags.Append(d...)
		}
	}
	l, d := types.ListValueFrom(ctx, mappingType, ms)
	diags.Append(d...)
	return l, diags
}
