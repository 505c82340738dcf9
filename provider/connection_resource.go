package provider

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/objectvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

var (
	_ resource.Resource                   = &ConnectionResource{}
	_ resource.ResourceWithConfigure      = &ConnectionResource{}
	_ resource.ResourceWithImportState    = &ConnectionResource{}
	_ resource.ResourceWithModifyPlan     = &ConnectionResource{}
	_ resource.ResourceWithValidateConfig = &ConnectionResource{}
)

// WebhookMethods are the HTTP methods a webhook connection may use; the first is the default.
var WebhookMethods = []string{"POST", "PUT", "PATCH"}

// ConnectionResource is backflow_connection: a Postgres warehouse or a webhook destination.
type ConnectionResource struct{ storeHolder }

// NewConnectionResource is the resource factory.
func NewConnectionResource() resource.Resource { return &ConnectionResource{} }

type connectionModel struct {
	ID       types.Int64  `tfsdk:"id"`
	Name     types.String `tfsdk:"name"`
	Postgres types.Object `tfsdk:"postgres"`
	MySQL    types.Object `tfsdk:"mysql"`
	DuckDB   types.Object `tfsdk:"duckdb"`
	Webhook  types.Object `tfsdk:"webhook"`
}

type postgresModel struct {
	URL              types.String `tfsdk:"url"`
	StatementTimeout types.String `tfsdk:"statement_timeout"`
	LockTimeout      types.String `tfsdk:"lock_timeout"`
}

type webhookModel struct {
	URL                  types.String `tfsdk:"url"`
	Method               types.String `tfsdk:"method"`
	Headers              types.Map    `tfsdk:"headers"`
	SigningSecret        types.String `tfsdk:"signing_secret"`
	MaxRequestsPerSecond types.Number `tfsdk:"max_requests_per_second"`
	RateLimit            types.Object `tfsdk:"rate_limit"` // rate_limit.go
	TestOnSave           types.Bool   `tfsdk:"test_on_save"`
	OAuth2               types.Object `tfsdk:"oauth2"`
	BasicAuth            types.Object `tfsdk:"basic_auth"`
}

var (
	postgresAttrTypes = map[string]attr.Type{
		"url": types.StringType, "statement_timeout": types.StringType, "lock_timeout": types.StringType,
	}
	webhookAttrTypes = map[string]attr.Type{
		"url": types.StringType, "method": types.StringType, "headers": types.MapType{ElemType: types.StringType},
		"signing_secret": types.StringType, "max_requests_per_second": types.NumberType, "test_on_save": types.BoolType,
		"rate_limit": rateLimitType,
		"oauth2":     types.ObjectType{AttrTypes: oauth2AttrTypes}, "basic_auth": types.ObjectType{AttrTypes: basicAuthAttrTypes},
	}
)

func (r *ConnectionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_connection"
}

// kindSwitch replaces the connection when it changes kind (postgres, mysql, duckdb, webhook): the
// control plane does not change a connection's kind in place.
func kindSwitch(_ context.Context, req planmodifier.ObjectRequest, resp *objectplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = req.StateValue.IsNull() != req.PlanValue.IsNull()
}

func (r *ConnectionResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replaceOnKind := objectplanmodifier.RequiresReplaceIf(kindSwitch,
		"Switching between postgres, mysql, duckdb and webhook replaces the connection.",
		"Switching between `postgres`, `mysql`, `duckdb` and `webhook` replaces the connection.")
	resp.Schema = schema.Schema{
		MarkdownDescription: "A connection: a warehouse that models read from (`postgres`, `mysql` for MySQL and " +
			"MariaDB, or `duckdb` for DuckDB and the files it reads), or a webhook that syncs deliver to (`webhook`). Exactly one of them is set. Secrets are " +
			"sealed in the control plane with the provider's `secret_key`. Switching to another block replaces the connection, " +
			"and what names it by id with it. A plan that makes a webhook that syncs or notifications send to a warehouse, or " +
			"a warehouse that models read a webhook, is refused: Terraform would delete them (a sync with its ledger, so " +
			"that its next run resends everything) before finding that they cannot use the new connection.",
		Attributes: map[string]schema.Attribute{
			"id": schema.Int64Attribute{
				MarkdownDescription: "Id of the connection in the control plane.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Unique name. Webhooks receive it as `connection_name`. " + nameRule,
				Required:            true,
				Validators:          []validator.String{nameValidator{}},
			},
			"postgres": schema.SingleNestedAttribute{
				MarkdownDescription: "A Postgres warehouse. Conflicts with the other blocks.",
				Optional:            true,
				Attributes:          postgresAttributes(),
				Validators: []validator.Object{
					objectvalidator.ExactlyOneOf(path.MatchRoot("postgres"), path.MatchRoot("mysql"), path.MatchRoot("duckdb"),
						path.MatchRoot("webhook")),
				},
				PlanModifiers: []planmodifier.Object{replaceOnKind},
			},
			"mysql":  mysqlBlock(replaceOnKind),
			"duckdb": duckdbBlock(replaceOnKind),
			"webhook": schema.SingleNestedAttribute{
				MarkdownDescription: "A webhook destination that receives JSON batches. Conflicts with the other blocks.",
				Optional:            true,
				Attributes: map[string]schema.Attribute{
					"url": schema.StringAttribute{
						MarkdownDescription: "http:// or https:// URL that receives the batches. No credentials before " +
							"the host (`user:password@`: use `headers`), no spaces or control characters (percent-encode " +
							"them). Sensitive: it often carries a token.",
						Required:   true,
						Sensitive:  true,
						Validators: []validator.String{webhookURLValidator{}},
					},
					"method": schema.StringAttribute{
						MarkdownDescription: "HTTP method of each request: one of " + quoteList(WebhookMethods) +
							". Defaults to `" + WebhookMethods[0] + "`.",
						Optional:   true,
						Computed:   true,
						Default:    stringdefault.StaticString(WebhookMethods[0]),
						Validators: []validator.String{stringvalidator.OneOf(WebhookMethods...)},
					},
					"headers": schema.MapAttribute{
						MarkdownDescription: "Extra HTTP headers sent with every request, e.g. `Authorization` (which conflicts with `oauth2` and " +
							"`basic_auth`). Names are " +
							"RFC 9110 tokens (letters, digits and ``!#$%&'*+-.^_`|~``), each name once whatever its case; " +
							"values are one line (no CR, LF, NUL or other control characters but tab). The runner sets " +
							quoteAll(webhook.ReservedHeaders) + " itself, so these cannot be set here; nor can " +
							"`Content-Encoding` other than `identity`: bodies are sent uncompressed; nor a header whose name holds `Idempotency` (`Idempotency-Key`): one value for every request would make such an API answer each later request with the first one's saved answer (each request carries its own `webhook-id` instead). Sensitive.",
						ElementType: types.StringType,
						Optional:    true,
						Sensitive:   true,
						Validators:  []validator.Map{mapvalidator.NoNullValues(), headersValidator{}},
					},
					"signing_secret": schema.StringAttribute{
						MarkdownDescription: fmt.Sprintf("Standard Webhooks signing secret: `%s` followed by the standard "+
							"base64 of %d to %d random bytes, e.g. what "+
							"`echo \"whsec_$(openssl rand -base64 32)\"` prints. When set, each request carries "+
							"`webhook-timestamp` and `webhook-signature` headers. Sensitive.",
							webhook.SecretPrefix, webhook.MinSecretBytes, webhook.MaxSecretBytes),
						Optional:   true,
						Sensitive:  true,
						Validators: []validator.String{signingSecretValidator{}},
					},
					"max_requests_per_second": schema.NumberAttribute{
						MarkdownDescription: fmt.Sprintf("Most requests per second the runner sends to this webhook: a "+
							"whole number from 1 to %d. Unset: not paced. The same as `rate_limit = { mode = \"fixed\", "+
							"max_requests_per_second = ... }`.", pacing.MaxRequestsPerSecond),
						Optional:   true,
						Validators: []validator.Number{maxRequestsPerSecondValidator},
					},
					"rate_limit": rateLimitAttribute(),
					"test_on_save": schema.BoolAttribute{
						MarkdownDescription: "Test the webhook when it is created, and on every update that changes what the test sends " +
							"(`url`, `method`, `headers`, `signing_secret`, `oauth2` or `basic_auth`) or turns `test_on_save` " +
							"on, as Census does: a `HEAD` to the URL " +
							"with the connection's headers; if that is not answered 200, a request with the connection's " +
							"method (signed, with its headers) carrying the envelope with operation `test` and empty `data`. " +
							"Anything but 200 to that request refuses the change: an update is tested at plan time (so a " +
							"refusal changes nothing, not even the state), a new connection, or values known only after " +
							"apply, at apply time. An update that changes only the `name` (which the test's envelope carries as " +
							"`connection_name`, as every delivery does) or the rate limit is not tested, so an endpoint that is down " +
							"does not fail it. Defaults to `true`.",
						Optional: true,
						Computed: true,
						Default:  booldefault.StaticBool(true),
					},
					"oauth2":     oauth2Schema(),
					"basic_auth": basicAuthSchema(),
				},
				Validators:    []validator.Object{webhookAuthValidator{}},
				PlanModifiers: []planmodifier.Object{replaceOnKind},
			},
		},
	}
}

func (r *ConnectionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.setStore(req.ProviderData, &resp.Diagnostics)
}

// toConnection converts the Terraform value to the store's.
func (m *connectionModel) toConnection(ctx context.Context) (*controlplane.Connection, diag.Diagnostics) {
	var diags diag.Diagnostics
	c := &controlplane.Connection{ID: m.ID.ValueInt64(), Name: m.Name.ValueString()}
	if !m.Postgres.IsNull() && !m.Postgres.IsUnknown() {
		var pg postgresModel
		diags.Append(m.Postgres.As(ctx, &pg, objectAsOptions)...)
		c.Postgres = &controlplane.PostgresConfig{URL: pg.URL.ValueString(),
			StatementTimeout: timeoutValue(pg.StatementTimeout, MaxStatementTimeout, &diags),
			LockTimeout:      timeoutValue(pg.LockTimeout, MaxLockTimeout, &diags),
			Spelled:          controlplane.TimeoutSpelling{StatementTimeout: pg.StatementTimeout.ValueString(), LockTimeout: pg.LockTimeout.ValueString()}}
	}
	if !m.MySQL.IsNull() && !m.MySQL.IsUnknown() {
		var my postgresModel // the same attributes
		diags.Append(m.MySQL.As(ctx, &my, objectAsOptions)...)
		c.MySQL = &controlplane.MySQLConfig{URL: my.URL.ValueString(),
			StatementTimeout: timeoutValue(my.StatementTimeout, MaxStatementTimeout, &diags),
			LockTimeout:      timeoutValue(my.LockTimeout, MaxLockTimeout, &diags),
			Spelled:          controlplane.TimeoutSpelling{StatementTimeout: my.StatementTimeout.ValueString(), LockTimeout: my.LockTimeout.ValueString()}}
	}
	if !m.DuckDB.IsNull() && !m.DuckDB.IsUnknown() {
		var dd duckdbModel
		diags.Append(m.DuckDB.As(ctx, &dd, objectAsOptions)...)
		c.DuckDB = &controlplane.DuckDBConfig{Database: dd.Database.ValueString(), InitSQL: dd.InitSQL.ValueString(),
			StatementTimeout: timeoutValue(dd.StatementTimeout, MaxStatementTimeout, &diags),
			Spelled:          controlplane.TimeoutSpelling{StatementTimeout: dd.StatementTimeout.ValueString()}}
	}
	if !m.Webhook.IsNull() && !m.Webhook.IsUnknown() {
		var wh webhookModel
		diags.Append(m.Webhook.As(ctx, &wh, objectAsOptions)...)
		cfg := &controlplane.WebhookConfig{
			URL: wh.URL.ValueString(), Method: wh.Method.ValueString(), SigningSecret: wh.SigningSecret.ValueString(),
			TestOnSave: wh.TestOnSave.ValueBool(),
		}
		if !wh.MaxRequestsPerSecond.IsNull() && !wh.MaxRequestsPerSecond.IsUnknown() {
			// The validator admits whole numbers from 1 to pacing.MaxRequestsPerSecond only.
			cfg.MaxRequestsPerSecond, _ = wh.MaxRequestsPerSecond.ValueBigFloat().Int64()
		}
		cfg.RateLimit = rateLimitValue(ctx, wh.RateLimit, &diags)
		if cfg.Method == "" {
			cfg.Method = WebhookMethods[0]
		}
		if !wh.Headers.IsNull() && !wh.Headers.IsUnknown() {
			cfg.Headers = map[string]string{}
			diags.Append(wh.Headers.ElementsAs(ctx, &cfg.Headers, false)...)
		}
		wh.toAuth(ctx, cfg, &diags)
		c.Webhook = cfg
	}
	return c, diags
}

// fromConnection sets m from the store's connection. prior (may be nil) keeps `headers = {}`
// from turning into null, which the store cannot tell apart.
func (m *connectionModel) fromConnection(ctx context.Context, c *controlplane.Connection, prior *connectionModel) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.Int64Value(c.ID)
	m.Name = types.StringValue(c.Name)
	m.Postgres = types.ObjectNull(postgresAttrTypes)
	m.MySQL = types.ObjectNull(postgresAttrTypes)
	m.DuckDB = types.ObjectNull(duckdbAttrTypes)
	m.Webhook = types.ObjectNull(webhookAttrTypes)
	var d diag.Diagnostics
	switch {
	case c.Postgres != nil:
		pg := postgresModel{URL: types.StringValue(c.Postgres.URL)}
		var priorPG postgresModel
		if prior != nil && !prior.Postgres.IsNull() && !prior.Postgres.IsUnknown() {
			diags.Append(prior.Postgres.As(ctx, &priorPG, objectAsOptions)...)
		}
		pg.StatementTimeout = timeoutText(c.Postgres.StatementTimeout, priorPG.StatementTimeout, c.Postgres.Spelled.StatementTimeout)
		pg.LockTimeout = timeoutText(c.Postgres.LockTimeout, priorPG.LockTimeout, c.Postgres.Spelled.LockTimeout)
		m.Postgres, d = types.ObjectValueFrom(ctx, postgresAttrTypes, pg)
		diags.Append(d...)
	case c.MySQL != nil:
		my := postgresModel{URL: types.StringValue(c.MySQL.URL)}
		var priorMy postgresModel
		if prior != nil && !prior.MySQL.IsNull() && !prior.MySQL.IsUnknown() {
			diags.Append(prior.MySQL.As(ctx, &priorMy, objectAsOptions)...)
		}
		my.StatementTimeout = timeoutText(c.MySQL.StatementTimeout, priorMy.StatementTimeout, c.MySQL.Spelled.StatementTimeout)
		my.LockTimeout = timeoutText(c.MySQL.LockTimeout, priorMy.LockTimeout, c.MySQL.Spelled.LockTimeout)
		m.MySQL, d = types.ObjectValueFrom(ctx, postgresAttrTypes, my)
		diags.Append(d...)
	case c.DuckDB != nil:
		dd := duckdbModel{Database: types.StringValue(c.DuckDB.Database), InitSQL: types.StringNull()}
		if c.DuckDB.InitSQL != "" {
			dd.InitSQL = types.StringValue(c.DuckDB.InitSQL)
		}
		var priorDD duckdbModel
		if prior != nil && !prior.DuckDB.IsNull() && !prior.DuckDB.IsUnknown() {
			diags.Append(prior.DuckDB.As(ctx, &priorDD, objectAsOptions)...)
		}
		dd.StatementTimeout = timeoutText(c.DuckDB.StatementTimeout, priorDD.StatementTimeout, c.DuckDB.Spelled.StatementTimeout)
		m.DuckDB, d = types.ObjectValueFrom(ctx, duckdbAttrTypes, dd)
		diags.Append(d...)
	case c.Webhook != nil:
		w := c.Webhook
		wh := webhookModel{
			URL: types.StringValue(w.URL), Method: types.StringValue(w.Method), TestOnSave: types.BoolValue(w.TestOnSave),
			Headers: types.MapNull(types.StringType), SigningSecret: types.StringNull(), MaxRequestsPerSecond: types.NumberNull(),
			RateLimit: rateLimitObject(ctx, w.RateLimit, &diags),
		}
		if w.Method == "" {
			wh.Method = types.StringValue(WebhookMethods[0])
		}
		if w.SigningSecret != "" {
			wh.SigningSecret = types.StringValue(w.SigningSecret)
		}
		if w.MaxRequestsPerSecond > 0 {
			wh.MaxRequestsPerSecond = types.NumberValue(new(big.Float).SetInt64(w.MaxRequestsPerSecond))
		}
		if w.Headers != nil || priorHasEmptyHeaders(ctx, prior) { // stored {} is `headers = {}` (an import has no prior)
			headers := w.Headers
			if headers == nil {
				headers = map[string]string{} // MapValueFrom makes a nil map null
			}
			wh.Headers, d = types.MapValueFrom(ctx, types.StringType, headers)
			diags.Append(d...)
		}
		var priorWH *webhookModel
		if prior != nil && !prior.Webhook.IsNull() && !prior.Webhook.IsUnknown() {
			priorWH = new(webhookModel)
			diags.Append(prior.Webhook.As(ctx, priorWH, objectAsOptions)...)
		}
		diags.Append(wh.fromAuth(ctx, w, priorWH)...)
		m.Webhook, d = types.ObjectValueFrom(ctx, webhookAttrTypes, wh)
		diags.Append(d...)
	}
	return diags
}

// timeoutValue is a configured timeout as the store keeps it: zero when unset (the warehouse's
// default). The validator has refused what does not parse.
func timeoutValue(v types.String, max time.Duration, diags *diag.Diagnostics) time.Duration {
	if v.IsNull() || v.IsUnknown() {
		return 0
	}
	d, err := ParseTimeout(v.ValueString(), max)
	if err != nil {
		diags.AddError("Invalid Timeout", err.Error())
	}
	return d
}

// timeoutText is a stored timeout as the state shows it: null when zero (unset, so configurations
// written before the attribute existed plan no change), the prior text when it means the same
// duration ("300s" stays "300s"), else the text the configuration that stored it wrote (spelled,
// which the store keeps only while it means d: an import reads "90s" back as "90s"), else
// FormatDuration's (a connection stored before its spelling was kept).
func timeoutText(d time.Duration, prior types.String, spelled string) types.String {
	if d <= 0 {
		return types.StringNull()
	}
	if !prior.IsNull() && !prior.IsUnknown() {
		if p, err := time.ParseDuration(prior.ValueString()); err == nil && p == d {
			return prior
		}
	}
	if spelled != "" {
		return types.StringValue(spelled)
	}
	return types.StringValue(warehouse.FormatDuration(d))
}

func priorHasEmptyHeaders(ctx context.Context, prior *connectionModel) bool {
	if prior == nil || prior.Webhook.IsNull() || prior.Webhook.IsUnknown() {
		return false
	}
	var wh webhookModel
	if d := prior.Webhook.As(ctx, &wh, objectAsOptions); d.HasError() {
		return false
	}
	return !wh.Headers.IsNull() && !wh.Headers.IsUnknown() && len(wh.Headers.Elements()) == 0
}

// testedAtPlan is the private-state key ModifyPlan sets when the apply need not test the
// webhook: the plan tested it with the planned values, or changes only what the test does not
// depend on (the name, which its envelope carries as connection_name; the rate limit).
const testedAtPlan = "webhook_tested_at_plan"

// ModifyPlan runs test_on_save at plan time when the plan changes what a webhook connection's
// test sends (its url, method, headers, signing secret or auth, or turns test_on_save on) in
// place and every value the test uses is known then. A refusal then fails the plan, before
// anything is applied: a refused apply would leave the state with the refused configuration's sensitivity
// marks (Terraform saves the planned marks even when an apply fails), and the next plan of the
// good configuration would show an in-place update with no visible change. A new connection is
// tested at apply, as before: a refused create leaves nothing in the state, and the framework
// gives Create no way to know the plan tested it.
func (r *ConnectionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	defer hintDestroy(req, resp, len(resp.Diagnostics))
	r.preview.kinds.planConnection(ctx, req)
	if r.store != nil {
		r.refuseTakenName(ctx, req, &resp.Diagnostics, "connection")
		if resp.Diagnostics.HasError() {
			return
		}
	}
	r.previewWarehouseChange(ctx, req, resp)
	r.warnDestinationMoved(ctx, req, resp)
	if resp.Private == nil {
		return // no private state to carry the result: the apply tests
	}
	// Whatever a prior apply left, only this plan's own test may skip the apply's.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, testedAtPlan, nil)...)
	if req.Plan.Raw.IsNull() || req.State.Raw.IsNull() || req.Plan.Raw.Equal(req.State.Raw) {
		return // a destroy, a create, or nothing changes
	}
	var plan, state connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || state.Webhook.IsNull() || plan.Webhook.IsNull() || plan.Webhook.IsUnknown() ||
		plan.Name.IsUnknown() {
		return // not an in-place update of a webhook
	}
	var wh webhookModel
	resp.Diagnostics.Append(plan.Webhook.As(ctx, &wh, objectAsOptions)...)
	if resp.Diagnostics.HasError() || !wh.TestOnSave.ValueBool() || wh.URL.IsUnknown() || wh.Method.IsUnknown() ||
		wh.SigningSecret.IsUnknown() || !mapKnown(wh.Headers) || !fullyKnown(wh.OAuth2) || !fullyKnown(wh.BasicAuth) {
		return // not asked for, or known only at apply, which tests then
	}
	var was webhookModel
	resp.Diagnostics.Append(state.Webhook.As(ctx, &was, objectAsOptions)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if was.TestOnSave.ValueBool() && sameEndpoint(wh, was) {
		// Nothing the test sends changes (a new name, a rate limit): these values passed it
		// when saved. Tested again, an endpoint down now would fail a plan it has no part in
		// (and the refresh of a destroy); a run reports it.
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, testedAtPlan, []byte("true"))...)
		return
	}
	c, d := plan.toConnection(ctx)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	testOnSave(ctx, c, &resp.Diagnostics)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, testedAtPlan, []byte("true"))...)
	}
}

// previewWarehouseChange previews the next run of every sync of a model on a warehouse connection
// that the plan changes in place so that it reads elsewhere (its url, database or init_sql),
// reading through the connection as planned: nothing else in the plan changes, yet those runs read
// another warehouse (or database) than the one their ledgers were delivered from. A change that
// reads the same data (a timeout, the name) previews the syncs with a cursor: they read in full.
func (r *ConnectionResource) previewWarehouseChange(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.store == nil || req.Plan.Raw.IsNull() || req.State.Raw.IsNull() {
		return
	}
	var plan, state connectionModel
	var d diag.Diagnostics
	d.Append(req.Plan.Get(ctx, &plan)...)
	d.Append(req.State.Get(ctx, &state)...)
	if d.HasError() || plan.ID.IsUnknown() {
		return
	}
	id := plan.ID.ValueInt64()
	r.preview.later.set(id, nil)
	for _, block := range []types.Object{plan.Postgres, plan.MySQL, plan.DuckDB} {
		if !block.IsNull() && !fullyKnown(block) {
			r.preview.conns.set(id, nil)
			r.preview.later.set(id, &struct{}{})
			return // known at apply only: a run after it shows what it sends
		}
	}
	c, d1 := plan.toConnection(ctx)
	old, d2 := state.toConnection(ctx)
	if d1.HasError() || d2.HasError() || !c.IsWarehouse() || c.Kind() != old.Kind() {
		return // not a warehouse updated in place (another kind replaces the connection)
	}
	if req.Plan.Raw.Equal(req.State.Raw) {
		r.preview.conns.set(c.ID, nil)
		return // not written by the apply
	}
	// Written by the apply, even when it reads the same data (only a timeout or the name changes):
	// a sync with a cursor then reads its whole model once (its runs cannot tell what changed), so
	// it sends the deletes and changes its incremental reads missed. For the previews of the syncs
	// and models the plan changes too: they read through c, as planned (not written yet).
	same := readsSameWarehouse(c, old)
	r.preview.conns.set(c.ID, c) // also for the models' describe (ModelResource.describe), whatever the preview mode
	if r.preview.mode == PreviewOff {
		return
	}
	syncs, err := r.store.ListSyncs(ctx)
	if err != nil {
		resp.Diagnostics.AddWarning("Backflow Preview Unavailable",
			"The syncs that read the connection could not be listed for a preview: "+err.Error())
		return
	}
	models := map[int64]*controlplane.Model{} // read once each: syncs share models
	for _, y := range syncs {
		m, ok := models[y.ModelID]
		if !ok {
			if m, err = r.store.GetModel(ctx, y.ModelID); err != nil {
				m = nil
			}
			models[y.ModelID] = m
		}
		// A sync without a cursor reads the whole model at every run: reading the same data, it
		// sends what it would have.
		// Also with preview = "always" (previewSettings.shown); not a sync the plan deletes.
		if m != nil && m.ConnectionID == c.ID && (!same || y.Cursor != "") && r.preview.previewOf(y.ID) {
			previewPlan(ctx, r.store, r.preview, y, plannedFor{model: m, conn: c, of: "connection"}, &resp.Diagnostics)
		}
	}
}

// warnDestinationMoved says, when the plan changes a webhook connection's url in place, that the
// syncs which send there keep their ledgers: the new url receives only what changes from their
// next runs on, none of what they delivered before. The url is sensitive, so the plan shows only
// that it changes; the warning says whether its host does, never the url.
func (r *ConnectionResource) warnDestinationMoved(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.store == nil || r.preview.mode == PreviewOff || req.Plan.Raw.IsNull() || req.State.Raw.IsNull() {
		return
	}
	var plan, state connectionModel
	var d diag.Diagnostics
	d.Append(req.Plan.Get(ctx, &plan)...)
	d.Append(req.State.Get(ctx, &state)...)
	if d.HasError() || plan.ID.IsUnknown() || plan.Webhook.IsNull() || plan.Webhook.IsUnknown() || state.Webhook.IsNull() {
		return
	}
	var wh, was webhookModel
	d.Append(plan.Webhook.As(ctx, &wh, objectAsOptions)...)
	d.Append(state.Webhook.As(ctx, &was, objectAsOptions)...)
	if d.HasError() || wh.URL.Equal(was.URL) {
		return
	}
	where := "to a url known only after apply"
	if !wh.URL.IsUnknown() {
		where = "to another host"
		a, errA := url.Parse(wh.URL.ValueString())
		b, errB := url.Parse(was.URL.ValueString())
		switch {
		case errA != nil || errB != nil || !strings.EqualFold(a.Hostname(), b.Hostname()):
		case strings.EqualFold(a.Host, b.Host) && strings.EqualFold(a.Scheme, b.Scheme):
			where = "on the same host (another path or query)"
		default:
			where = "to the same host name on another scheme or port"
		}
	}
	syncs, err := r.store.ListSyncs(ctx)
	if err != nil {
		return
	}
	var names []string
	for _, y := range syncs {
		if y.DestinationID == plan.ID.ValueInt64() {
			names = append(names, strconv.Quote(y.Name))
		}
	}
	if len(names) == 0 {
		return
	}
	name := state.Name.ValueString()
	if !plan.Name.IsUnknown() {
		name = plan.Name.ValueString()
	}
	resp.Diagnostics.AddAttributeWarning(path.Root("webhook").AtName("url"), fmt.Sprintf("Backflow Destination Moved: Connection %q", name),
		fmt.Sprintf("The plan changes the connection's url in place, %s (the url is sensitive: it is not shown). "+
			"The syncs that send there (%s) keep their ledgers: the new url receives only what their next runs find "+
			"new, changed or deleted, none of the records they delivered before. To send everything there, point the "+
			"syncs at a new connection (destination_id), or run `backflow-runner sync NAME --full` after apply.",
			where, strings.Join(names, ", ")))
}

// sameEndpoint reports whether webhooks a and b send the test (and every request) to the same
// endpoint the same way: url, method, headers, signing secret and auth.
func sameEndpoint(a, b webhookModel) bool {
	return a.URL.Equal(b.URL) && a.Method.Equal(b.Method) && a.Headers.Equal(b.Headers) &&
		a.SigningSecret.Equal(b.SigningSecret) && a.OAuth2.Equal(b.OAuth2) && a.BasicAuth.Equal(b.BasicAuth)
}

// readsSameWarehouse reports whether warehouse connections a and b, of one kind, read the same
// data: the same URL, or DuckDB database and init_sql (timeouts do not change what is read).
func readsSameWarehouse(a, b *controlplane.Connection) bool {
	switch {
	case a.Postgres != nil:
		return a.Postgres.URL == b.Postgres.URL
	case a.MySQL != nil:
		return a.MySQL.URL == b.MySQL.URL
	case a.DuckDB != nil:
		return a.DuckDB.Database == b.DuckDB.Database && a.DuckDB.InitSQL == b.DuckDB.InitSQL
	}
	return true
}

func mapKnown(m types.Map) bool {
	if m.IsUnknown() {
		return false
	}
	for _, v := range m.Elements() {
		if v.IsUnknown() {
			return false
		}
	}
	return true
}

// testOnSave runs the webhook check when the connection asks for it.
func testOnSave(ctx context.Context, c *controlplane.Connection, diags *diag.Diagnostics) {
	if c.Webhook == nil || !c.Webhook.TestOnSave {
		return
	}
	var tokens *webhook.TokenSource
	if c.Webhook.OAuth2 != nil {
		tokens = webhook.NewTokenSource(c.Webhook.OAuth2, nil) // the network policy applies to the token endpoint too
	}
	e := webhook.EndpointFor(c.Webhook, tokens)
	if err := webhook.Check(ctx, nil, e, c.Name); err != nil {
		webhookCheckError(diags, c.Name, err)
	}
}

func (r *ConnectionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !r.ready(&resp.Diagnostics) {
		return
	}
	c, d := plan.toConnection(ctx)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	testOnSave(ctx, c, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.store.CreateConnection(ctx, c) // sets c.ID, which created then reads
	if !r.created(ctx, &resp.Diagnostics, "connection", c.Name, c.ID, err) {
		return
	}
	plan.ID = types.Int64Value(c.ID)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *ConnectionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	c, ok := readRow(ctx, &r.storeHolder, req, resp, "connection", r.store.GetConnection)
	if !ok {
		return
	}
	var state connectionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var next connectionModel
	resp.Diagnostics.Append(next.fromConnection(ctx, c, &state)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &next)...)
}

func (r *ConnectionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.ready(&resp.Diagnostics) {
		return
	}
	plan.ID = state.ID
	c, d := plan.toConnection(ctx)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Tested at plan time with these very values, unless some were known only now.
	var tested []byte
	if req.Private != nil {
		tested, d = req.Private.GetKey(ctx, testedAtPlan)
		resp.Diagnostics.Append(d...)
	}
	if resp.Private != nil {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, testedAtPlan, nil)...) // not kept in the state
	}
	if string(tested) != "true" {
		testOnSave(ctx, c, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.store.UpdateConnection(ctx, c); err != nil {
		updateError(&resp.Diagnostics, "connection", c.Name, c.ID,
			errors.Is(err, controlplane.ErrNotFound) && r.rowGone(ctx, "connection", c.ID), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *ConnectionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.deleteRow(ctx, req, resp, "connection", func(ctx context.Context, id int64) error { return r.store.DeleteConnection(ctx, id) })
}

func (r *ConnectionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importRow(ctx, &r.storeHolder, req, resp, "connection", r.store.LookupConnection, func(x *controlplane.Connection) int64 { return x.ID })
}

// ValidateConfig refuses text the control plane cannot store (refuseNUL).
func (r *ConnectionResource) ValidateConfig(_ context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	refuseNUL(req.Config, &resp.Diagnostics)
}
