package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/objectvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
)

// A webhook connection's rate_limit: how fast the runner sends to it (package pacing).

type rateLimitModel struct {
	Mode                 types.String `tfsdk:"mode"`
	MaxRequestsPerSecond types.Number `tfsdk:"max_requests_per_second"`
	MaxConcurrency       types.Number `tfsdk:"max_concurrency"`
}

var rateLimitAttrTypes = map[string]attr.Type{
	"mode": types.StringType, "max_requests_per_second": types.NumberType, "max_concurrency": types.NumberType,
}

var rateLimitType = types.ObjectType{AttrTypes: rateLimitAttrTypes}

func rateLimitAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "How fast the runner sends to this webhook, per connection and across every runner " +
			"(the runners share the rate through the control plane, and space requests (1 s + 25 ms) / rate apart so " +
			"that jitter on the way cannot put more than the rate into any second at the endpoint). `mode = \"fixed\"` sends at most " +
			"`max_requests_per_second` with at most `max_concurrency` requests in flight. `mode = \"adaptive\"` finds " +
			"what the endpoint sustains: it raises rate and concurrency while answers are fast and 2xx, backs off on " +
			"429, 503, errors and rising latency, honours `Retry-After` and the `RateLimit-*` / `X-RateLimit-*` headers, " +
			"and starts each run from what the last run to this connection learned. Conflicts with the top-level " +
			"`max_requests_per_second`, which is the same as `rate_limit = { mode = \"fixed\", max_requests_per_second = ... }`.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"mode": schema.StringAttribute{
				MarkdownDescription: "One of " + quoteList(pacing.Modes) + ".",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(pacing.Modes...)},
			},
			"max_requests_per_second": schema.NumberAttribute{
				MarkdownDescription: fmt.Sprintf("Most requests per second, a whole number from 1 to %d: fixed mode's "+
					"rate (unset: not paced), adaptive mode's ceiling (unset: %d).", pacing.MaxRequestsPerSecond, pacing.MaxRequestsPerSecond),
				Optional:   true,
				Validators: []validator.Number{maxRequestsPerSecondValidator},
			},
			"max_concurrency": schema.NumberAttribute{
				MarkdownDescription: fmt.Sprintf("Most requests in flight to this webhook from one runner, 1 to %d. Unset: "+
					"the runner's `--concurrency` (default 4) in fixed mode, %d in adaptive mode.",
					pacing.MaxConcurrency, pacing.DefaultAdaptiveConcurrency),
				Optional:   true,
				Validators: []validator.Number{wholeNumberValidator{min: 1, max: pacing.MaxConcurrency}},
			},
		},
		Validators: []validator.Object{
			objectvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("max_requests_per_second")),
		},
	}
}

// rateLimitValue is the store's rate_limit of a Terraform value (nil when unset).
func rateLimitValue(ctx context.Context, v types.Object, diags *diag.Diagnostics) *controlplane.RateLimit {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	var m rateLimitModel
	diags.Append(v.As(ctx, &m, objectAsOptions)...)
	return &controlplane.RateLimit{Mode: m.Mode.ValueString(), MaxConcurrency: wholeNumber(m.MaxConcurrency),
		MaxRequestsPerSecond: wholeNumber(m.MaxRequestsPerSecond)}
}

// rateLimitObject is the Terraform value of the store's rate_limit (null when unset).
func rateLimitObject(ctx context.Context, rl *controlplane.RateLimit, diags *diag.Diagnostics) types.Object {
	if rl == nil {
		return types.ObjectNull(rateLimitAttrTypes)
	}
	m := rateLimitModel{Mode: types.StringValue(rl.Mode), MaxRequestsPerSecond: types.NumberNull(), MaxConcurrency: types.NumberNull()}
	if rl.MaxRequestsPerSecond > 0 {
		m.MaxRequestsPerSecond = wholeNumberValue(rl.MaxRequestsPerSecond)
	}
	if rl.MaxConcurrency > 0 {
		m.MaxConcurrency = wholeNumberValue(rl.MaxConcurrency)
	}
	o, d := types.ObjectValueFrom(ctx, rateLimitAttrTypes, m)
	diags.Append(d...)
	return o
}
