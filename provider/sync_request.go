package provider

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	datasourceschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// A sync's `request` (controlplane.RequestSpec): one HTTP request per operation, with Liquid
// templates, in place of the Census envelope. docs/destinations.md is the guide.

type requestModel struct {
	New        types.Object `tfsdk:"new"`
	Changed    types.Object `tfsdk:"changed"`
	Deleted    types.Object `tfsdk:"deleted"`
	Mode       types.String `tfsdk:"mode"`
	TestOnSave types.Bool   `tfsdk:"test_on_save"`
}

type operationRequestModel struct {
	Method      types.String `tfsdk:"method"`
	Path        types.String `tfsdk:"path"`
	Format      types.String `tfsdk:"format"`
	Body        types.String `tfsdk:"body"`
	ContentType types.String `tfsdk:"content_type"`
	Headers     types.Map    `tfsdk:"headers"`
}

var (
	operationRequestAttrTypes = map[string]attr.Type{
		"method": types.StringType, "path": types.StringType, "format": types.StringType, "body": types.StringType,
		"content_type": types.StringType, "headers": types.MapType{ElemType: types.StringType},
	}
	operationRequestType = types.ObjectType{AttrTypes: operationRequestAttrTypes}
	requestAttrTypes     = map[string]attr.Type{
		"new": operationRequestType, "changed": operationRequestType, "deleted": operationRequestType,
		"mode": types.StringType, "test_on_save": types.BoolType,
	}
)

// requestOps are the operations a request block names, in order.
var requestOps = []string{controlplane.OpNew, controlplane.OpChanged, controlplane.OpDeleted}

// formatDescriptions explain each body format; controlplane.Formats fixes the order.
var formatDescriptions = map[string]string{
	controlplane.FormatJSON:     "`body` rendered, and checked to be valid JSON (the default when `body` is set)",
	controlplane.FormatRaw:      "`body` rendered and sent as it is, with `content_type` (default `text/plain; charset=utf-8`)",
	controlplane.FormatNDJSON:   "the mapped records, one JSON object per line (`application/x-ndjson`)",
	controlplane.FormatForm:     "the mapped record as `application/x-www-form-urlencoded` fields (record mode only)",
	controlplane.FormatEnvelope: "the Census envelope of the batch (batch mode only)",
	controlplane.FormatNone:     "no body (the default when `body` is not set, e.g. for DELETE)",
}

func formatMarkdown() string {
	s := "What the body is: one of " + quoteList(controlplane.Formats) + "."
	for _, f := range controlplane.Formats {
		s += " `" + f + "`: " + formatDescriptions[f] + "."
	}
	return s
}

// requestDescriptions describe the attributes, for the resource and the data source.
var requestDescriptions = map[string]string{
	"request": "What each operation sends, in place of the Census envelope (the default, when `request` is " +
		"not set): an HTTP request per record or per batch, whose path and body are Liquid templates " +
		"(see the Destinations guide for the variables and filters). `update_or_create` sends `new` for keys " +
		"never delivered and `changed` for changed ones (when only one of them is given, it is used for both); " +
		"`append` sends `new` only; `mirror` also sends `deleted`, whose `record` holds only the key. " +
		"Templates are checked at plan against a sample record built from the model's column types.",
	"mode": "How many records one request carries: one of " + quoteList(controlplane.RequestModes) + ". `" +
		controlplane.RequestModeRecord + "` (the default) sends one request per record, rendered with `record`; a " +
		"4xx rejects that record. `" + controlplane.RequestModeBatch + "` sends one request per batch " +
		"(up to `batch_size` records, as `batch_size` says), rendered with `records`; a 4xx splits the batch as for " +
		"the envelope.",
	"test_on_save": "When `true`, creating the sync or changing its `request` sends the `new` request rendered " +
		"for a sample record (built from the model's column types) to the destination, and fails the apply " +
		"unless it answers 2xx. Off by default: a sample record may create a real object at the destination. " +
		"The connection's own `test_on_save` sends the Census `test` envelope, as before.",
	"operation": "The request sent for %s records.",
	"method":    "The HTTP method: one of " + quoteList(controlplane.RequestMethods) + ".",
	"path": "A Liquid template appended to the connection's `url` (a query in it is merged with the URL's), " +
		"e.g. `/contacts/{{ record.email | url_encode }}`. Omitted: the connection's `url` itself. Not sensitive: " +
		"a query parameter named as a credential with a value written out is refused (by its words: one of them " +
		"is token, secret, password, auth or signature, or it is key alone or after api, access, client and the " +
		"like, so `?api_key=...` and `?auth_token=...` are refused, `?sort_key=` and `?keyword=` are not); put it " +
		"in the connection's `url` or `headers`, which are sealed.",
	"body": "A Liquid template of the body (formats `" + controlplane.FormatJSON + "` and `" +
		controlplane.FormatRaw + "`), e.g. `{\"email\": {{ record.email | json }}}`; use `file(\"contact.liquid\")` " +
		"for a long one.",
	"content_type": "The Content-Type header: a media type such as `application/json` or `text/plain; charset=utf-8`, " +
		"on one line. Omitted: the format's (`application/json` for `json`). For `json` and `envelope` a JSON type " +
		"(application/json, a +json type or text/json), for `form` application/x-www-form-urlencoded. Bodies are " +
		"sent in UTF-8: a charset parameter other than utf-8 is refused.",
	"headers": "Headers sent with this request besides the connection's (a name given in both takes this value). " +
		"Not sensitive: credentials belong in the connection's `headers`, which are sealed, so names such as " +
		"Authorization, Cookie, and names whose words (a leading X- set aside) name a credential as the path's " +
		"query rule says (`X-Api-Key`, `XApiKey`, `Api-Key2`, `X-Auth-Token`, `X-Storage-Pass`, `X-HMAC`, " +
		"`X-Honeycomb-Team`) are refused here; `X-Partition-Key`, `X-Author` and `X-Team-Id` are not.",
}

func operationRequestSchema(op string) schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: fmt.Sprintf(requestDescriptions["operation"], "`"+op+"`"),
		Optional:            true,
		Attributes: map[string]schema.Attribute{
			"method": schema.StringAttribute{MarkdownDescription: requestDescriptions["method"], Required: true,
				Validators: []validator.String{stringvalidator.OneOf(controlplane.RequestMethods...)}},
			"path": schema.StringAttribute{MarkdownDescription: requestDescriptions["path"], Optional: true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1), templateValidator{}, requestPathValidator{}}},
			"format": schema.StringAttribute{MarkdownDescription: formatMarkdown(), Optional: true,
				Validators: []validator.String{stringvalidator.OneOf(controlplane.Formats...)}},
			"body": schema.StringAttribute{MarkdownDescription: requestDescriptions["body"], Optional: true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1), templateValidator{}}},
			"content_type": schema.StringAttribute{MarkdownDescription: requestDescriptions["content_type"], Optional: true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1), contentTypeValidator{}}},
			"headers": schema.MapAttribute{MarkdownDescription: requestDescriptions["headers"], Optional: true,
				ElementType: types.StringType, Validators: []validator.Map{mapvalidator.NoNullValues(), headersValidator{request: true}, requestHeadersValidator{}}},
		},
	}
}

func requestSchema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: requestDescriptions["request"],
		Optional:            true,
		Attributes: map[string]schema.Attribute{
			"new":     operationRequestSchema(controlplane.OpNew),
			"changed": operationRequestSchema(controlplane.OpChanged),
			"deleted": operationRequestSchema(controlplane.OpDeleted),
			"mode": schema.StringAttribute{MarkdownDescription: requestDescriptions["mode"], Optional: true, Computed: true,
				Default:    stringdefault.StaticString(controlplane.RequestModeRecord),
				Validators: []validator.String{stringvalidator.OneOf(controlplane.RequestModes...)}},
			"test_on_save": schema.BoolAttribute{MarkdownDescription: requestDescriptions["test_on_save"], Optional: true,
				Computed: true, Default: booldefault.StaticBool(false)},
		},
	}
}

func requestDataSourceSchema() datasourceschema.SingleNestedAttribute {
	op := func(name string) datasourceschema.SingleNestedAttribute {
		return datasourceschema.SingleNestedAttribute{
			MarkdownDescription: fmt.Sprintf(requestDescriptions["operation"], "`"+name+"`"), Computed: true,
			Attributes: map[string]datasourceschema.Attribute{
				"method":       datasourceschema.StringAttribute{MarkdownDescription: requestDescriptions["method"], Computed: true},
				"path":         datasourceschema.StringAttribute{MarkdownDescription: requestDescriptions["path"], Computed: true},
				"format":       datasourceschema.StringAttribute{MarkdownDescription: formatMarkdown(), Computed: true},
				"body":         datasourceschema.StringAttribute{MarkdownDescription: requestDescriptions["body"], Computed: true},
				"content_type": datasourceschema.StringAttribute{MarkdownDescription: requestDescriptions["content_type"], Computed: true},
				"headers": datasourceschema.MapAttribute{MarkdownDescription: requestDescriptions["headers"], Computed: true,
					ElementType: types.StringType},
			},
		}
	}
	return datasourceschema.SingleNestedAttribute{
		MarkdownDescription: "The sync's requests per operation; null when it sends the Census envelope. " + requestDescriptions["request"],
		Computed:            true,
		Attributes: map[string]datasourceschema.Attribute{
			"new": op(controlplane.OpNew), "changed": op(controlplane.OpChanged), "deleted": op(controlplane.OpDeleted),
			"mode":         datasourceschema.StringAttribute{MarkdownDescription: requestDescriptions["mode"], Computed: true},
			"test_on_save": datasourceschema.BoolAttribute{MarkdownDescription: requestDescriptions["test_on_save"], Computed: true},
		},
	}
}

// toRequest converts the Terraform value; nil when null or unknown. Unknown parts of a known
// block read as empty (ModifyPlan skips checks that need them).
func toRequest(ctx context.Context, o types.Object, diags *diag.Diagnostics) *controlplane.RequestSpec {
	if o.IsNull() || o.IsUnknown() {
		return nil
	}
	var m requestModel
	diags.Append(o.As(ctx, &m, objectAsOptions)...)
	spec := &controlplane.RequestSpec{Mode: m.Mode.ValueString(), TestOnSave: m.TestOnSave.ValueBool()}
	if spec.Mode == "" {
		spec.Mode = controlplane.RequestModeRecord
	}
	for _, op := range requestOps {
		ro := map[string]types.Object{controlplane.OpNew: m.New, controlplane.OpChanged: m.Changed, controlplane.OpDeleted: m.Deleted}[op]
		if ro.IsNull() || ro.IsUnknown() {
			continue
		}
		var om operationRequestModel
		diags.Append(ro.As(ctx, &om, objectAsOptions)...)
		r := &controlplane.OperationRequest{
			Method: om.Method.ValueString(), Path: om.Path.ValueString(), Format: om.Format.ValueString(),
			Body: om.Body.ValueString(), ContentType: om.ContentType.ValueString(),
		}
		if !om.Headers.IsNull() && !om.Headers.IsUnknown() {
			r.Headers = map[string]string{}
			diags.Append(om.Headers.ElementsAs(ctx, &r.Headers, false)...)
		}
		switch op {
		case controlplane.OpNew:
			spec.New = r
		case controlplane.OpChanged:
			spec.Changed = r
		default:
			spec.Deleted = r
		}
	}
	return spec
}

// fromRequest converts the stored spec; null when none. prior (null when there is none) is the
// request block as the state had it: an operation's `headers = {}` there stays an empty map, since
// the store keeps it as no headers (null) and cannot tell the two apart.
func fromRequest(ctx context.Context, spec *controlplane.RequestSpec, prior types.Object) (types.Object, diag.Diagnostics) {
	if spec == nil {
		return types.ObjectNull(requestAttrTypes), nil
	}
	var diags diag.Diagnostics
	priorEmptyHeaders := map[string]bool{} // operation → its prior headers were {}
	if !prior.IsNull() && !prior.IsUnknown() {
		for op, v := range prior.Attributes() {
			o, ok := v.(types.Object)
			if !ok || o.IsNull() || o.IsUnknown() {
				continue
			}
			if h, ok := o.Attributes()["headers"].(types.Map); ok && !h.IsNull() && !h.IsUnknown() && len(h.Elements()) == 0 {
				priorEmptyHeaders[op] = true
			}
		}
	}
	str := func(s string) types.String {
		if s == "" {
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	op := func(name string, r *controlplane.OperationRequest) types.Object {
		if r == nil {
			return types.ObjectNull(operationRequestAttrTypes)
		}
		headers := types.MapNull(types.StringType)
		switch {
		case r.Headers != nil: // stored {} is `headers = {}` (an import has no prior)
			var d diag.Diagnostics
			headers, d = types.MapValueFrom(ctx, types.StringType, r.Headers)
			diags.Append(d...)
		case priorEmptyHeaders[name]:
			headers = types.MapValueMust(types.StringType, map[string]attr.Value{})
		}
		o, d := types.ObjectValueFrom(ctx, operationRequestAttrTypes, operationRequestModel{
			Method: types.StringValue(r.Method), Path: str(r.Path), Format: str(r.Format), Body: str(r.Body),
			ContentType: str(r.ContentType), Headers: headers,
		})
		diags.Append(d...)
		return o
	}
	o, d := types.ObjectValueFrom(ctx, requestAttrTypes, requestModel{
		New: op(controlplane.OpNew, spec.New), Changed: op(controlplane.OpChanged, spec.Changed),
		Deleted: op(controlplane.OpDeleted, spec.Deleted),
		Mode:    types.StringValue(spec.Mode), TestOnSave: types.BoolValue(spec.TestOnSave),
	})
	diags.Append(d...)
	return o, diags
}

// requestProblem is one thing wrong with a request block, and where.
type requestProblem struct {
	at       path.Path
	what, do string
}

// checkRequestSpec finds what is wrong with spec on its own and for behavior ("" when unknown):
// missing or superfluous operations, and formats that do not fit the body, the mode or the
// content type. Templates are checked by templateValidator and checkRequestTemplates.
func checkRequestSpec(spec *controlplane.RequestSpec, behavior string) []requestProblem {
	root := path.Root("request")
	var out []requestProblem
	if spec.New == nil && spec.Changed == nil {
		out = append(out, requestProblem{root, "The request block gives neither a `new` nor a `changed` request, so the sync would send nothing.",
			"Add `new` (and `changed`, when changed records go elsewhere), e.g. new = { method = \"POST\", path = \"/contacts\", body = ... }."})
	}
	switch behavior {
	case controlplane.BehaviorAppend:
		if spec.Changed != nil {
			out = append(out, requestProblem{root.AtName("changed"), "An `append` sync sends only new records, so its `changed` request would never be sent.",
				"Remove `changed` (give the request as `new`), or use behavior = \"update_or_create\"."})
		}
		fallthrough
	case controlplane.BehaviorUpdateOrCreate:
		if spec.Deleted != nil {
			out = append(out, requestProblem{root.AtName("deleted"), fmt.Sprintf("A `%s` sync sends no deletes, so its `deleted` request would never be sent.", behavior),
				"Remove `deleted`, or use behavior = \"mirror\"."})
		}
	case controlplane.BehaviorMirror:
		if spec.Deleted == nil {
			out = append(out, requestProblem{root, "A `mirror` sync sends `deleted` records, but the request block has no `deleted` request.",
				"Add one, e.g. deleted = { method = \"DELETE\", path = \"/contacts/{{ record.email | url_encode }}\" }."})
		}
	}
	for _, op := range requestOps {
		r := map[string]*controlplane.OperationRequest{controlplane.OpNew: spec.New, controlplane.OpChanged: spec.Changed, controlplane.OpDeleted: spec.Deleted}[op]
		if r == nil {
			continue
		}
		at := root.AtName(op)
		f := r.EffectiveFormat()
		switch {
		case (f == controlplane.FormatJSON || f == controlplane.FormatRaw) && r.Body == "":
			out = append(out, requestProblem{at.AtName("body"), fmt.Sprintf("The `%s` format sends the rendered `body`, but the `%s` request has none.", f, op),
				"Set `body` to a Liquid template, or choose another format (" + quoteList(controlplane.Formats) + ")."})
		case f != controlplane.FormatJSON && f != controlplane.FormatRaw && r.Body != "":
			out = append(out, requestProblem{at.AtName("body"), fmt.Sprintf("The `%s` format builds the body itself, so the `%s` request's `body` would be ignored.", f, op),
				"Remove `body`, or use format = \"json\" or \"raw\" to send it."})
		}
		switch {
		case f == controlplane.FormatForm && spec.Mode == controlplane.RequestModeBatch:
			out = append(out, requestProblem{at.AtName("format"), "A form body carries one record's fields, but the request's mode is `batch`.",
				"Use mode = \"record\", or another format for batches (json with `records`, ndjson)."})
		case f == controlplane.FormatEnvelope && spec.Mode == controlplane.RequestModeRecord:
			out = append(out, requestProblem{at.AtName("format"), "The envelope carries a batch, but the request's mode is `record`.",
				"Use mode = \"batch\" with format = \"envelope\"."})
		case f == controlplane.FormatNone && r.ContentType != "":
			out = append(out, requestProblem{at.AtName("content_type"), fmt.Sprintf("The `%s` request sends no body, so its content_type would describe nothing.", op),
				"Remove content_type, or choose a format with a body."})
		case f == controlplane.FormatJSON && r.ContentType != "" && !webhook.IsJSON(r.ContentType):
			out = append(out, requestProblem{at.AtName("content_type"), fmt.Sprintf("The `json` format is sent as JSON, but content_type is %q.", r.ContentType),
				"Use a JSON content type (application/json, a +json type or text/json), or format = \"raw\" for other bodies."})
		case f == controlplane.FormatEnvelope && r.ContentType != "" && !webhook.IsJSON(r.ContentType):
			out = append(out, requestProblem{at.AtName("content_type"), fmt.Sprintf("The `envelope` format sends the Census envelope, JSON, but content_type is %q.", r.ContentType),
				"Use a JSON content type (application/json, a +json type or text/json), or remove content_type."})
		case f == controlplane.FormatForm && r.ContentType != "" && !isFormType(r.ContentType):
			out = append(out, requestProblem{at.AtName("content_type"), fmt.Sprintf("The `form` format sends the record's fields "+
				"application/x-www-form-urlencoded, but content_type is %q: the endpoint would read every request as that type "+
				"and refuse it.", r.ContentType),
				"Remove content_type (or give application/x-www-form-urlencoded, with parameters such as charset=utf-8 if the API " +
					"wants them), or use format = \"raw\" with a `body` template for another type."})
		}
	}
	return out
}

// isFormType reports whether a content type is application/x-www-form-urlencoded, whatever its
// case and parameters (charset=utf-8).
func isFormType(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded")
}

// checkRequestTemplates renders spec's templates against a sample record of the model's columns
// (of a warehouse of kind, "" when unknown: runner.SampleRecordOf) for the sync y, and reports
// each failure with its position.
func checkRequestTemplates(y *controlplane.Sync, m *controlplane.Model, kind, destName string, diags *diag.Diagnostics) {
	rec, del, err := runner.SampleRecordOf(kind, m.Columns, y)
	if err != nil {
		return // checkRefs reports unknown columns
	}
	vars := webhook.Vars{SyncID: y.ID, SyncName: y.Name, RunStartedAt: time.Now(), ModelName: m.Name, ConnectionName: destName}
	for _, se := range webhook.CheckRequestsFor(y.Behavior, y.Request, vars, rec, del) {
		sample := rec
		if se.Operation == controlplane.OpDeleted {
			sample = del
		}
		addAttributeError(diags, path.Root("request").AtName(se.Operation).AtName(se.Field), "Invalid Request Template",
			fmt.Sprintf("The `%s` request's %s fails when rendered for a sample record of the model %q, %s: %s.",
				se.Operation, se.Field, m.Name, sample, webhook.HideTemplateStrings(se.Err.Error(), y.Request)),
			"Fix the template: "+modeHint(y.Request.Mode)+" The other variables are operation, sync, run, model and "+
				"connection; a record's fields are the names the mappings send. See the Destinations guide.", nil)
	}
}

// modeHint says which variable holds the records in mode.
func modeHint(mode string) string {
	if mode == controlplane.RequestModeBatch {
		return "in batch mode the records are `records`, a list (`{% for r in records %}...{% endfor %}`, " +
			"`{{ records | json }}`); `record` is not defined."
	}
	return "in record mode the record is `record` (`{{ record.email | json }}`); `records` is not defined."
}

// testRequestOnSave sends the `new` request rendered for a sample record when the spec asks for
// it (test_on_save), and reports a failure.
func (r *SyncResource) testRequestOnSave(ctx context.Context, y *controlplane.Sync, diags *diag.Diagnostics) {
	if y.Request == nil || !y.Request.TestOnSave {
		return
	}
	rec, status, body, err := runner.SendSample(ctx, r.store, y)
	switch {
	case rec == nil:
		return // no sample to send: a model or destination checkRefs reported, or mappings it refused
	case err != nil:
		addAttributeError(diags, path.Root("request").AtName("test_on_save"), "Request Test Failed",
			fmt.Sprintf("The sync %q's `new` request, rendered for a sample record, could not be sent.", y.Name),
			"Check the connection's url and the request's path, or set test_on_save = false.", err)
	case status < 200 || status > 299:
		// The template's strings are hidden in the whole answer, before it is cut to an excerpt: a
		// string the excerpt's bound falls inside, followed by its "…", is no longer found.
		addAttributeError(diags, path.Root("request").AtName("test_on_save"), "Request Test Failed",
			fmt.Sprintf("The sync %q's `new` request, rendered for the sample record %s, was answered HTTP %d %s: %q.",
				y.Name, rec, status, http.StatusText(status), webhook.AnswerExcerpt(webhook.HideTemplateStrings(body, y.Request))),
			"Fix the request (or the destination), or set test_on_save = false to save it without the test.", nil)
	}
}

// templateValidator refuses a template that does not parse, with its line and column.
type templateValidator struct{}

var _ validator.String = templateValidator{}

func (templateValidator) Description(context.Context) string {
	return "must be a Liquid template that parses"
}
func (v templateValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (templateValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	src := req.ConfigValue.ValueString()
	if err := webhook.ParseTemplate(src); err != nil {
		// The error quotes the tag it failed at, which can hold a string the template writes as it
		// is: left out, as the plan's other refusals of a template leave it out (the template is a
		// path or a body: its strings are found as both would hold them).
		hidden := webhook.HideTemplateStrings(err.Error(), &controlplane.RequestSpec{
			New: &controlplane.OperationRequest{Path: src, Body: src}})
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Request Template",
			fmt.Sprintf("The template does not parse: %s.", hidden),
			"Liquid outputs are {{ ... }} and tags {% ... %}; see the Destinations guide for the variables and filters.", nil)
	}
}

// requestPathValidator refuses a credential written in a request path's query (?api_key=...): the
// path is neither sensitive nor sealed. A value the template writes ({{ record.key }}) is the
// record's, not a credential of the configuration. Its message never shows the value.
type requestPathValidator struct{}

var _ validator.String = requestPathValidator{}

func (requestPathValidator) Description(context.Context) string {
	return "must not carry a credential in its query: that belongs in the connection's url or headers, which are sensitive and sealed"
}
func (v requestPathValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (requestPathValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	written := func(value string) bool {
		return value != "" && !strings.Contains(value, "{{") && !strings.Contains(value, "{%")
	}
	if shown, ok := credentialParam(req.ConfigValue.ValueString(), credentialQueryParam, written); ok {
		addAttributeError(&resp.Diagnostics, req.Path, "Credential in Request Path",
			fmt.Sprintf("The path's query carries %s, which looks like a credential; a request's path is neither "+
				"sensitive nor sealed: plans and the state show it. Its value is not shown here.", shown),
			"Remove it from the path and put it in the webhook connection's url (its query is merged with the "+
				"path's) or headers, which are sensitive and sealed in the control plane.", nil)
	}
}

// credentialQueryParam reports whether a request path's query parameter is named as a credential:
// one of its words (split at '_', '-', '.', before an upper-case letter that follows a
// lower-case one, and before the last letter of an upper-case run that a lower-case one follows:
// apiKey and APIKey are api, key; a word's trailing digits set aside: key2 is key) is token,
// secret, password, auth, signature, hmac and the like, or it is key alone or after api, access,
// secret, private, client, subscription, application and the like (Google's ?key=, Azure's
// subscription-key, Datadog's application_key), or id after session, or pass, hmac or otp alone
// or last after a word saying whose (OpenStack Swift's X-Storage-Pass, GitHub's X-GitHub-OTP:
// X-Pass-Through, X-Hmac-Algorithm, ?season_pass= and ?send_otp= name none), or a vendor's own (Honeycomb's X-Honeycomb-Team, JFrog's
// X-JFrog-Art-Api). Words, not substrings: sort_key, keyword, author and tokenizer name no
// credential, and a path may carry them.
func credentialQueryParam(name string) bool {
	words := nameWords(name)
	last := len(words) - 1
	for i, w := range words {
		prev := ""
		if i > 0 {
			prev = words[i-1]
		}
		switch w {
		case "token", "secret", "password", "passwd", "pwd", "auth", "authorization", "authentication", "signature", "sig",
			"apikey", "accesstoken", "credential", "credentials", "jwt", "bearer", "sessionid", "passphrase", "passcode",
			"passkey":
			return true
		case "key":
			if len(words) == 1 {
				return true
			}
			switch prev {
			case "api", "access", "secret", "private", "client", "subscription", "signing", "master", "license",
				"app", "developer", "consumer", "auth", "account", "service", "write", "read",
				// Datadog's DD-APPLICATION-KEY, Azure Functions' X-Functions-Key, New Relic's
				// X-Insert-Key and X-Query-Key, RapidAPI's X-Mashape-Key, 3scale's user_key,
				// Appwrite's X-Appwrite-Key.
				"application", "functions", "insert", "query", "ingest", "integration", "mashape", "user",
				"admin", "encryption", "session", "appwrite":
				return true
			}
		case "id":
			if prev == "session" { // session_id, X-Session-Id, as sessionid
				return true
			}
		case "pass", "hmac", "otp":
			// Alone or after a word naming whose it is (X-HMAC, X-Storage-Pass, X-GitHub-OTP),
			// last: ?season_pass=, ?send_otp=, ?use_hmac= and X-Pass-Through name none.
			if i == last {
				switch prev {
				case "", "storage", "auth", "api", "user", "admin", "account", "login", "github", "hub", "app", "client",
					"access", "secret", "webhook", "signing", "request":
					return true
				}
			}
		case "team":
			if prev == "honeycomb" { // Honeycomb's API key: X-Honeycomb-Team
				return true
			}
		case "api":
			if prev == "art" && i == last { // JFrog Artifactory's API key: X-JFrog-Art-Api
				return true
			}
		}
	}
	return false
}

// nameWords is name's words, lower case, as credentialQueryParam reads them: split at '_', '-'
// and '.', before an upper-case letter that follows a lower-case one (apiKey) and before the last
// letter of an upper-case run of three or more that a lower-case one follows (APIKey; OAuth is one
// word), each without its
// trailing digits (key2, token1), words of digits alone left out. Auth0 keeps its digit: it names
// the product (X-Auth0-Client), not a second auth.
func nameWords(name string) []string {
	var words []string
	add := func(w string) {
		w = strings.ToLower(w)
		if w != "auth0" {
			w = strings.TrimRight(w, "0123456789")
		}
		if w != "" {
			words = append(words, w)
		}
	}
	r := []rune(name)
	start := 0
	for i, c := range r {
		switch {
		case c == '_' || c == '-' || c == '.':
			add(string(r[start:i]))
			start = i + 1
		case i > start && unicode.IsUpper(c) && unicode.IsLower(r[i-1]):
			add(string(r[start:i]))
			start = i
		case i > start+1 && unicode.IsUpper(c) && unicode.IsUpper(r[i-1]) && i+1 < len(r) && unicode.IsLower(r[i+1]):
			add(string(r[start:i]))
			start = i
		}
	}
	add(string(r[start:]))
	return words
}

// requestHeadersValidator refuses credentials in a request's headers, which are not sealed.
type requestHeadersValidator struct{}

var _ validator.Map = requestHeadersValidator{}

func (requestHeadersValidator) Description(context.Context) string {
	return "must not carry credentials: those belong in the connection's headers, which are sensitive and sealed"
}
func (v requestHeadersValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (requestHeadersValidator) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for name := range req.ConfigValue.Elements() {
		if credentialHeader(name) {
			addAttributeError(&resp.Diagnostics, req.Path.AtMapKey(name), "Credential in Request Headers",
				fmt.Sprintf("The header %q looks like it carries a credential, and a request's headers are neither "+
					"sensitive nor sealed.", name),
				"Set it in the webhook connection's headers, which are sent with every request and sealed in the control plane.", nil)
		}
	}
}

// credentialHeader reports whether a header name conventionally carries a credential:
// Authorization, Proxy-Authorization, Cookie, or a name that credentialQueryParam's words call a
// credential once a leading X- (or an X before a capital: XApiKey) is set aside (X-Api-Key, X-Auth-Token, X-Key, Ocp-Apim-Subscription-Key,
// X-Amz-Security-Token). Words, not substrings: X-Partition-Key, X-Author and X-Tokenizer name no
// credential, and a request may send them.
func credentialHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "cookie":
		return true
	}
	if len(name) > 2 && strings.EqualFold(name[:2], "x-") {
		name = name[2:]
	}
	if len(name) > 1 && name[0] == 'X' && unicode.IsUpper(rune(name[1])) {
		name = name[1:] // XApiKey, XAPIKey: their X is the X- of X-Api-Key
	}
	return credentialQueryParam(name)
}

// credentialSubstring reports whether a name holds token, secret, password, key or auth
// anywhere: the wider rule for a DuckDB database's few parameters, where nothing else is
// expected.
func credentialSubstring(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"token", "secret", "password", "key", "auth"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
