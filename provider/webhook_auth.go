package provider

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// The auth blocks of a webhook connection: oauth2 (client credentials) and basic_auth. At most
// one of them and an Authorization header is set (webhook.CheckAuth, checked at plan time by
// webhookAuthValidator).

type oauth2Model struct {
	TokenURL     types.String `tfsdk:"token_url"`
	ClientID     types.String `tfsdk:"client_id"`
	ClientSecret types.String `tfsdk:"client_secret"`
	Scopes       types.List   `tfsdk:"scopes"`
	Parameters   types.Map    `tfsdk:"parameters"`
}

type basicAuthModel struct {
	Username types.String `tfsdk:"username"`
	Password types.String `tfsdk:"password"`
}

var (
	oauth2AttrTypes = map[string]attr.Type{
		"token_url": types.StringType, "client_id": types.StringType, "client_secret": types.StringType,
		"scopes": types.ListType{ElemType: types.StringType}, "parameters": types.MapType{ElemType: types.StringType},
	}
	basicAuthAttrTypes = map[string]attr.Type{"username": types.StringType, "password": types.StringType}
)

// oauth2ReservedParameters are form parameters of the token request that Backflow sets itself,
// each with the attribute that sets it.
var oauth2ReservedParameters = map[string]string{
	"grant_type": "it is always client_credentials", "scope": "use `scopes`",
	"client_id": "use `client_id`", "client_secret": "use `client_secret`",
}

func oauth2Schema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "OAuth2 client credentials (RFC 6749 section 4.4): the runner gets a token from `token_url` and " +
			"sends it as `Authorization: Bearer ...`. A runner keeps one token per connection for all its syncs, " +
			"gets a new one before the current one expires (when a quarter of its lifetime, at most a minute, is " +
			"left) and once after a request is answered 401, then retries that request once; a second 401 fails the " +
			"run as without oauth2. A token endpoint that does not answer or answers 408, 429 or 5xx is asked " +
			"again with a delivery's backoff and attempts; one that still fails, or answers another 4xx (wrong " +
			"credentials), fails the run (its error names the token URL's host) and the records stay pending. The network policy applies to the token " +
			"endpoint as to the webhook. `test_on_save` and `backflow-runner test` use the token too. Conflicts " +
			"with `basic_auth` and an `Authorization` header.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"token_url": schema.StringAttribute{
				MarkdownDescription: "http:// or https:// URL of the token endpoint, e.g. `https://auth.example.com/oauth/token`.",
				Required:            true,
				Validators:          []validator.String{tokenURLValidator{}},
			},
			"client_id": schema.StringAttribute{
				MarkdownDescription: "The client id.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"client_secret": schema.StringAttribute{
				MarkdownDescription: "The client secret. Sensitive; sealed in the control plane, never in logs or errors.",
				Required:            true,
				Sensitive:           true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"scopes": schema.ListAttribute{
				MarkdownDescription: "Scopes asked for (sent space-separated as `scope`). Omitted: none.",
				ElementType:         types.StringType,
				Optional:            true,
				Validators: []validator.List{listvalidator.NoNullValues(), listvalidator.ValueStringsAre(stringvalidator.RegexMatches(
					regexp.MustCompile(`^[!#-\[\]-~]+$`), "must be a scope token: printable ASCII without spaces, \" or \\"))},
			},
			"parameters": schema.MapAttribute{
				MarkdownDescription: "Extra form parameters of the token request, e.g. `{ audience = \"https://api.example.com\" }`. " +
					"Not for secrets: they are stored and shown in plans as they are, so one named as a credential (`password`, " +
					"`refresh_token`, `assertion`, `client_assertion`, `api_key`, ...) is refused; one that says what of the token " +
					"it asks for (`authorization_details`, `token_format`, `subject_token_type`) is not. " + quoteAll(slices.Sorted(maps.Keys(oauth2ReservedParameters))) +
					" are set by the attributes above.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.Map{mapvalidator.NoNullValues(), oauth2ParametersValidator{}},
			},
		},
	}
}

func basicAuthSchema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "HTTP basic authentication (RFC 7617): every request carries `Authorization: Basic ...`. " +
			"Conflicts with `oauth2` and an `Authorization` header.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"username": schema.StringAttribute{
				MarkdownDescription: "The user name: no colon or control character.",
				Required:            true,
				Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^[^:\x00-\x1f\x7f]*$`),
					"must not contain a colon or control characters (RFC 7617)")},
			},
			"password": schema.StringAttribute{
				MarkdownDescription: "The password. Sensitive; sealed in the control plane.",
				Required:            true,
				Sensitive:           true,
			},
		},
	}
}

// toAuth reads the auth blocks of a webhook into cfg.
func (wh *webhookModel) toAuth(ctx context.Context, cfg *controlplane.WebhookConfig, diags *diag.Diagnostics) {
	if !wh.OAuth2.IsNull() && !wh.OAuth2.IsUnknown() {
		var o oauth2Model
		diags.Append(wh.OAuth2.As(ctx, &o, objectAsOptions)...)
		cfg.OAuth2 = &controlplane.OAuth2Config{TokenURL: o.TokenURL.ValueString(), ClientID: o.ClientID.ValueString(),
			ClientSecret: o.ClientSecret.ValueString()}
		if !o.Scopes.IsNull() && !o.Scopes.IsUnknown() {
			cfg.OAuth2.Scopes = []string{}
			diags.Append(o.Scopes.ElementsAs(ctx, &cfg.OAuth2.Scopes, false)...)
		}
		if !o.Parameters.IsNull() && !o.Parameters.IsUnknown() {
			cfg.OAuth2.Parameters = map[string]string{}
			diags.Append(o.Parameters.ElementsAs(ctx, &cfg.OAuth2.Parameters, false)...)
		}
	}
	if !wh.BasicAuth.IsNull() && !wh.BasicAuth.IsUnknown() {
		var b basicAuthModel
		diags.Append(wh.BasicAuth.As(ctx, &b, objectAsOptions)...)
		cfg.BasicAuth = &controlplane.BasicAuth{Username: b.Username.ValueString(), Password: b.Password.ValueString()}
	}
}

// fromAuth sets the auth blocks of wh from the stored webhook. Empty scopes and parameters are
// null (the store cannot tell `[]` from unset), unless prior had them empty.
func (wh *webhookModel) fromAuth(ctx context.Context, w *controlplane.WebhookConfig, prior *webhookModel) diag.Diagnostics {
	var diags, d diag.Diagnostics
	wh.OAuth2, wh.BasicAuth = types.ObjectNull(oauth2AttrTypes), types.ObjectNull(basicAuthAttrTypes)
	if o := w.OAuth2; o != nil {
		var priorO oauth2Model
		if prior != nil && !prior.OAuth2.IsNull() && !prior.OAuth2.IsUnknown() {
			diags.Append(prior.OAuth2.As(ctx, &priorO, objectAsOptions)...)
		}
		m := oauth2Model{TokenURL: types.StringValue(o.TokenURL), ClientID: types.StringValue(o.ClientID),
			ClientSecret: types.StringValue(o.ClientSecret), Scopes: types.ListNull(types.StringType),
			Parameters: types.MapNull(types.StringType)}
		if o.Scopes != nil || (!priorO.Scopes.IsNull() && !priorO.Scopes.IsUnknown() && len(priorO.Scopes.Elements()) == 0) {
			m.Scopes, d = types.ListValueFrom(ctx, types.StringType, nonNil(o.Scopes))
			diags.Append(d...)
		}
		if o.Parameters != nil || (!priorO.Parameters.IsNull() && !priorO.Parameters.IsUnknown() && len(priorO.Parameters.Elements()) == 0) {
			params := o.Parameters
			if params == nil {
				params = map[string]string{}
			}
			m.Parameters, d = types.MapValueFrom(ctx, types.StringType, params)
			diags.Append(d...)
		}
		wh.OAuth2, d = types.ObjectValueFrom(ctx, oauth2AttrTypes, m)
		diags.Append(d...)
	}
	if b := w.BasicAuth; b != nil {
		wh.BasicAuth, d = types.ObjectValueFrom(ctx, basicAuthAttrTypes,
			basicAuthModel{Username: types.StringValue(b.Username), Password: types.StringValue(b.Password)})
		diags.Append(d...)
	}
	return diags
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// fullyKnown reports whether v and everything in it is known.
func fullyKnown(v attr.Value) bool {
	if v.IsUnknown() {
		return false
	}
	var elems []attr.Value
	switch x := v.(type) {
	case basetypes.ObjectValue:
		for _, e := range x.Attributes() {
			elems = append(elems, e)
		}
	case basetypes.ListValue:
		elems = x.Elements()
	case basetypes.SetValue:
		elems = x.Elements()
	case basetypes.MapValue:
		for _, e := range x.Elements() {
			elems = append(elems, e)
		}
	}
	for _, e := range elems {
		if !fullyKnown(e) {
			return false
		}
	}
	return true
}

// tokenURLValidator refuses token URLs that do not parse or are not http(s) with a host.
type tokenURLValidator struct{}

var _ validator.String = tokenURLValidator{}

func (tokenURLValidator) Description(context.Context) string {
	return "must be an http:// or https:// URL with a host"
}
func (v tokenURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (tokenURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := webhookURLProblem(req.ConfigValue.ValueString()); problem != "" {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid OAuth2 Token URL",
			"The OAuth2 token_url "+problem+".",
			"It must be the http:// or https:// URL of the token endpoint, e.g. https://auth.example.com/oauth/token.", nil)
	}
}

// oauth2ParametersValidator refuses parameters that Backflow sets itself, and credentials
// (oauth2SecretParameter), which parameters would hold unsealed.
type oauth2ParametersValidator struct{}

var _ validator.Map = oauth2ParametersValidator{}

func (oauth2ParametersValidator) Description(context.Context) string {
	return "must not set " + strings.Join(slices.Sorted(maps.Keys(oauth2ReservedParameters)), ", ")
}
func (v oauth2ParametersValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (oauth2ParametersValidator) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	names := make([]string, 0, len(req.ConfigValue.Elements()))
	for name := range req.ConfigValue.Elements() {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if why, ok := oauth2ReservedParameters[name]; ok {
			addAttributeError(&resp.Diagnostics, req.Path.AtMapKey(name), "Reserved OAuth2 Parameter",
				fmt.Sprintf("The token request's %q parameter is set by Backflow: %s.", name, why),
				"Remove it from `parameters`.", nil)
		} else if oauth2SecretParameter(name) {
			addAttributeError(&resp.Diagnostics, req.Path.AtMapKey(name), "Credential in OAuth2 Parameters",
				fmt.Sprintf("The token request's %q parameter carries a credential, and `parameters` are neither "+
					"sensitive nor sealed: plans and the state show them. Its value is not shown here.", name),
				"Remove it from `parameters`. The runner asks for tokens with client credentials only, its secret in "+
					"`client_secret`, which is sealed; for a token got another way (a password, a refresh token, a JWT "+
					"assertion), send it in the connection's `headers` (Authorization = \"Bearer ...\"), which are "+
					"sealed, instead of `oauth2`.", nil)
		}
	}
}

// oauth2SecretParameter reports whether a token request's parameter carries a credential: its
// name does as a request path's query parameter's would (password, refresh_token, subject_token,
// api_key: credentialQueryParam), or it is a JWT assertion (assertion, client_assertion: RFC
// 7521) or an authorization code and its verifier. A parameter whose name goes on past its first
// word to say what of the token it asks for (subject_token_type, client_assertion_type,
// token_type_hint, RFC 9396's authorization_details, UAA's token_format, requested_token_use,
// access_token_lifetime: oauth2DescribingWords) carries none.
func oauth2SecretParameter(name string) bool {
	n := strings.ToLower(name)
	if words := nameWords(name); len(words) > 1 {
		for _, w := range words[1:] {
			if oauth2DescribingWords[w] {
				return false
			}
		}
	}
	switch n {
	case "assertion", "client_assertion", "code", "code_verifier":
		return true
	}
	return credentialQueryParam(name)
}

// oauth2DescribingWords are the words that, after a parameter's first, say what of a token or a
// credential it names (its type, format, lifetime, what it is used for), not the credential.
var oauth2DescribingWords = map[string]bool{
	"type": true, "format": true, "use": true, "details": true, "lifetime": true, "expiry": true, "expiration": true,
	"ttl": true, "endpoint": true, "method": true, "alg": true, "algorithm": true, "version": true, "mode": true,
	"level": true,
}

// webhookAuthValidator refuses a webhook block setting more than one of oauth2, basic_auth and
// an Authorization header (webhook.CheckAuth).
type webhookAuthValidator struct{}

var _ validator.Object = webhookAuthValidator{}

func (webhookAuthValidator) Description(context.Context) string {
	return "at most one of `oauth2`, `basic_auth` and an `Authorization` header"
}
func (v webhookAuthValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (webhookAuthValidator) ValidateObject(ctx context.Context, req validator.ObjectRequest, resp *validator.ObjectResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	var wh webhookModel
	if d := req.ConfigValue.As(ctx, &wh, objectAsOptions); d.HasError() {
		return
	}
	headers := map[string]string{}
	if !wh.Headers.IsNull() && !wh.Headers.IsUnknown() {
		for name := range wh.Headers.Elements() {
			headers[name] = ""
		}
	}
	// An unknown block may turn out null: only what is surely set counts. Terraform validates the
	// configuration again at apply, with the values known then.
	if err := webhook.CheckAuth(headers, !wh.OAuth2.IsNull() && !wh.OAuth2.IsUnknown(),
		!wh.BasicAuth.IsNull() && !wh.BasicAuth.IsUnknown()); err != nil {
		addAttributeError(&resp.Diagnostics, req.Path, "Conflicting Webhook Authentication",
			"The webhook "+strings.TrimPrefix(err.Error(), "the connection ")+".",
			"Keep one: `oauth2` for a token from a token endpoint, `basic_auth` for a user name and password, or "+
				"`headers = { Authorization = \"...\" }` for a fixed credential.", nil)
	}
}
