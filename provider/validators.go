package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/printable"
	"github.com/backflowhq/terraform-provider-backflow/internal/schedule"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// cronValidator refuses expressions schedule.ParseCron refuses, as the runner does.
type cronValidator struct{}

var _ validator.String = cronValidator{}

func (cronValidator) Description(context.Context) string {
	return "a five-field cron expression (minute hour day-of-month month day-of-week), in UTC"
}
func (v cronValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (cronValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := schedule.ParseCron(req.ConfigValue.ValueString()); err != nil {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Cron Schedule",
			fmt.Sprintf("%q is not a valid cron expression.", req.ConfigValue.ValueString()),
			"Use five fields, minute hour day-of-month month day-of-week, evaluated in UTC: e.g. \"0 * * * *\" "+
				"for every hour, \"30 6 * * 1-5\" for 06:30 UTC on weekdays (Sunday is 0 or 7; names such as "+
				"MON and JAN work too).", err)
	}
}

// webhookURLValidator refuses webhook URLs that do not parse or are not http(s) with a host. Its
// messages never echo the value: webhook URLs often carry a token.
type webhookURLValidator struct{}

var _ validator.String = webhookURLValidator{}

func (webhookURLValidator) Description(context.Context) string {
	return "must be an http:// or https:// URL with a host"
}
func (v webhookURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (webhookURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := webhookURLProblem(req.ConfigValue.ValueString()); problem != "" {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Webhook URL",
			"The webhook URL "+problem+" (its text is not shown: it may hold a token).",
			"It must be an http:// or https:// URL with a host, e.g. https://hooks.example.com/backflow?token=...; "+
				"check the port and any characters that need escaping.", nil)
	}
}

// webhookURLProblem says what is wrong with a webhook URL, "" if nothing. It never quotes the URL
// (url.Parse's errors do, so they are dropped).
func webhookURLProblem(s string) string {
	if i, r := firstUnprintable(s); i >= 0 {
		if unicode.IsSpace(r) {
			return fmt.Sprintf("contains whitespace (%U at character %d); write a space as %%20", r, i+1)
		}
		return fmt.Sprintf("contains a control character (%U at character %d)", r, i+1)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "does not parse"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an http:// or https:// URL"
	case u.User != nil:
		return "carries credentials before its host (user:password@); send them in a header instead, " +
			"e.g. headers = { Authorization = \"Basic ...\" }"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	case strings.Contains(s, "#"):
		return "has a fragment (#...), which is never sent and would cut off the path a request appends; " +
			"remove it, or write a # meant for the server as %23"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has a port outside 1-65535"
		}
	}
	return ""
}

// everyValidator refuses durations that do not parse or are shorter than schedule.MinEvery.
type everyValidator struct{}

var _ validator.String = everyValidator{}

func (everyValidator) Description(context.Context) string {
	return "a Go duration of at least " + schedule.MinEvery.String()
}
func (v everyValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (everyValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := schedule.ParseEvery(req.ConfigValue.ValueString()); err != nil {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Schedule Interval",
			fmt.Sprintf("`every` must be a duration of at least %s.", schedule.MinEvery),
			"Write it as Go does, e.g. \"15m\", \"1h\" or \"1h30m\".", err)
	}
}

// cursorDurationValidator refuses a cursor_lookback or full_read_every that its parser (in
// controlplane, which the runner uses too) refuses.
type cursorDurationValidator struct {
	what  string // "cursor_lookback"
	parse func(string) (time.Duration, error)
}

var _ validator.String = cursorDurationValidator{}

func (v cursorDurationValidator) Description(context.Context) string {
	if v.what == "full_read_every" {
		return "a Go duration of at least " + controlplane.MinFullReadEvery.String()
	}
	return "a Go duration of zero or more"
}
func (v cursorDurationValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v cursorDurationValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := v.parse(req.ConfigValue.ValueString()); err != nil || req.ConfigValue.ValueString() == "" {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Duration",
			fmt.Sprintf("`%s` must be %s.", v.what, v.Description(ctx)),
			"Write it as Go does, e.g. \"5m\", \"1h\" or \"24h\".", err)
	}
}

// checkCursor is what is wrong with a sync's cursor on model m: not a model column, a column of a
// type that cannot be a cursor, or a lookback on a cursor that is not a time. Empty when fine.
func checkCursor(m *controlplane.Model, y *controlplane.Sync) (attribute, problem, todo string) {
	if y.Cursor == "" {
		return "", "", ""
	}
	for _, c := range m.Columns {
		if c.Name != y.Cursor {
			continue
		}
		switch k := warehouse.CursorKindOf(c.Type); {
		case k == warehouse.CursorNone:
			return "cursor", fmt.Sprintf("The column %q of the model %q is of type %s%s, which cannot be a cursor: a cursor "+
				"is compared to the highest value read so far, so it must be a timestamp, a date, an integer or a text.",
				c.Name, m.Name, c.Type, warehouse.CursorTypeNote(c.Type)), "Choose a column that grows when a row changes, such as updated_at."
		case y.CursorLookback != "" && k != warehouse.CursorTime && k != warehouse.CursorDate:
			return "cursor_lookback", fmt.Sprintf("The cursor %q is of type %s (it compares as %s): a lookback is a "+
					"duration, for a timestamp or date cursor. An integer or text cursor is read from the highest "+
					"value read so far, that value included.", c.Name, c.Type, k),
				"Remove cursor_lookback; a full read (full_read_every) catches rows that arrive late."
		}
		return "", "", ""
	}
	return "cursor", fmt.Sprintf("cursor is %q, but the model %q has no such column. Its columns are: %s.",
		y.Cursor, m.Name, columnNames(m.Columns)), "Use one of the model's columns, or change the model's SQL to return it."
}

// uniqueTargetsValidator refuses mappings that send two values under the same name.
type uniqueTargetsValidator struct{}

var _ validator.List = uniqueTargetsValidator{}

func (uniqueTargetsValidator) Description(context.Context) string {
	return "each mapping's `to` must be unique"
}
func (v uniqueTargetsValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (uniqueTargetsValidator) ValidateList(ctx context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	var ms []mappingModel
	if d := req.ConfigValue.ElementsAs(ctx, &ms, true); d.HasError() {
		return // unknown elements: checked again at plan and apply
	}
	seen := map[string]bool{}
	for i, m := range ms {
		if m.To.IsNull() || m.To.IsUnknown() {
			continue
		}
		to := m.To.ValueString()
		if seen[to] {
			addAttributeError(&resp.Diagnostics, req.Path.AtListIndex(i).AtName("to"), "Duplicate Mapping Target",
				fmt.Sprintf("Two mappings send a value under %q; the webhook would receive only one of them.", to),
				"Give each mapping its own `to`.", nil)
		}
		seen[to] = true
	}
}

// columnProblem is a sync setting that names a column the model does not have.
type columnProblem struct {
	Attribute string // "primary_key" or "mappings[i].from"
	Index     int    // mapping index, -1 for primary_key
	Column    string
}

// checkColumns finds primary_key and mapping sources that are not columns of the model. It is
// the one check shared by plan time (the model's stored columns) and apply time.
func checkColumns(m *controlplane.Model, primaryKey string, mappings []controlplane.Mapping) []columnProblem {
	var out []columnProblem
	if primaryKey != "" && !m.HasColumn(primaryKey) {
		out = append(out, columnProblem{Attribute: "primary_key", Index: -1, Column: primaryKey})
	}
	for i, mp := range mappings {
		if mp.Constant == nil && mp.From != "" && !m.HasColumn(mp.From) {
			out = append(out, columnProblem{Attribute: fmt.Sprintf("mappings[%d].from", i), Index: i, Column: mp.From})
		}
	}
	return out
}

func columnNames(cols []controlplane.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// firstUnprintable finds the first whitespace, control character (NUL included) or Unicode line
// or paragraph separator in s: the index of the character (counted in characters) and the rune, or
// -1.
func firstUnprintable(s string) (int, rune) {
	i := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return i, r
		}
		i++
	}
	return -1, 0
}

// nameRule describes nameValidator in the resources' documentation.
var nameRule = fmt.Sprintf("Not blank, no control, bidirectional control or invisible characters (such as U+200B or U+FEFF; a zero width joiner or non-joiner inside a word of a script that spells with it, such as Persian or Devanagari, is fine), at most %d characters.",
	controlplane.MaxNameLength)

// nameValidator is the rule for the `name` of connections, models, syncs and notifications: not
// blank, no control, bidirectional control or invisible characters (printable.Bidi,
// printable.Invisible), at most controlplane.MaxNameLength characters. Names travel in webhook
// envelopes, logs, plans and CLI arguments, and Postgres cannot store a NUL.
type nameValidator struct{}

var _ validator.String = nameValidator{}

func (nameValidator) Description(context.Context) string {
	return fmt.Sprintf("must not be blank or contain control, bidirectional control or invisible characters, and have at most %d characters",
		controlplane.MaxNameLength)
}
func (v nameValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (nameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := nameProblem(req.ConfigValue.ValueString()); problem != "" {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Name", "The name "+problem+".",
			"Use printable text, e.g. \"Active users to webhook\": names appear in webhook envelopes, logs and "+
				"the runner's command line. Spaces are fine; tabs, line breaks, other control characters and "+
				"characters shown as nothing (zero width spaces and joiners, U+FEFF, soft hyphens) are not.", nil)
	}
}

// nameProblem says what is wrong with a name, "" if nothing.
func nameProblem(s string) string {
	if strings.TrimSpace(s) == "" {
		return "is blank"
	}
	i := 0
	for at, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Sprintf("contains a control character (%U at character %d)", r, i+1)
		}
		// Embeddings, overrides and isolates reorder how the rest of a line is shown, and
		// invisible characters are not shown at all: in a plan, a name could pass for another
		// ("users\u200b" for "users"). The runner escapes them (internal/printable); Terraform
		// does not.
		if printable.Bidi(r) {
			return fmt.Sprintf("contains a bidirectional control character (%U at character %d), which "+
				"changes how the text around it is shown", r, i+1)
		}
		// A joiner inside a Persian or Devanagari word is part of its spelling
		// (printable.JoinerInWord): it changes how the word is shown.
		if printable.Invisible(r) && !printable.JoinerInWord(s, at) {
			return fmt.Sprintf("contains an invisible character (%U at character %d), which is not shown: "+
				"the name would look like one without it", r, i+1)
		}
		i++
	}
	if i > controlplane.MaxNameLength {
		return fmt.Sprintf("is %d characters long, more than the %d a name may have", i, controlplane.MaxNameLength)
	}
	return ""
}

// signingSecretValidator applies webhook.ParseSigningSecret, the rule the runner signs by. Its
// messages never echo the value.
type signingSecretValidator struct{}

var _ validator.String = signingSecretValidator{}

func (signingSecretValidator) Description(context.Context) string {
	return fmt.Sprintf("must be %s followed by the base64 of %d to %d random bytes",
		webhook.SecretPrefix, webhook.MinSecretBytes, webhook.MaxSecretBytes)
}
func (v signingSecretValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (signingSecretValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := webhook.ParseSigningSecret(req.ConfigValue.ValueString()); err != nil {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Signing Secret",
			"The signing secret is not a Standard Webhooks secret (its text is not shown).",
			fmt.Sprintf("Use %s followed by the standard base64 of %d to %d random bytes, as "+
				"`echo \"whsec_$(openssl rand -base64 32)\"` prints; receivers decode the same bytes to verify.",
				webhook.SecretPrefix, webhook.MinSecretBytes, webhook.MaxSecretBytes), err)
	}
}

// headersValidator applies webhook.CheckHeaders, the rule the request builder applies: RFC 9110
// names, values without control characters, none of the headers the runner sets itself. It names
// headers and never shows their values. request is set for a sync request's headers, whose
// Content-Type its content_type sets.
type headersValidator struct{ request bool }

var _ validator.Map = headersValidator{}

func (headersValidator) Description(context.Context) string {
	return "header names must be RFC 9110 tokens, values must not contain control characters, and " +
		strings.Join(webhook.ReservedHeaders, ", ") + " are set by the runner"
}
func (v headersValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v headersValidator) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	headers := map[string]string{}
	for name, v := range req.ConfigValue.Elements() {
		headers[name] = "" // an unknown value: its name is still checked now, its value at apply
		if s, ok := v.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			headers[name] = s.ValueString()
		}
	}
	for _, he := range webhook.CheckHeaders(headers) {
		do := "Header names are letters, digits and !#$%&'*+-.^_`|~ (RFC 9110); values are one line of text. " +
			"The runner sets " + strings.Join(webhook.ReservedHeaders, ", ") + " on every request itself."
		if strings.EqualFold(he.Name, "Content-Type") {
			// The one of them a configuration does choose: told only that it cannot be set, a
			// user whose API wants another type than the format's looks no further.
			do = "Remove it from headers. A sync's request sets its Content-Type with `content_type`, beside `headers` " +
				"(content_type = \"application/vnd.api+json\"); without it, the body format's type is sent."
			if !v.request {
				do = "Remove it from headers. The envelope is sent as application/json; a sync's `request` block sends " +
					"another body, with the Content-Type of its `content_type`."
			}
		}
		addAttributeError(&resp.Diagnostics, req.Path.AtMapKey(he.Name), "Invalid Webhook Header", "The "+he.Error()+".", do, nil)
	}
}

// contentTypeValidator refuses a Content-Type the runner could not send, that is no media type,
// or that declares a charset other than UTF-8, the bodies' (contentTypeProblem):
// a value with a line break or another control character makes every request fail (net/http
// refuses it) after all its retries, and one such as "text plain" no receiver can parse.
type contentTypeValidator struct{}

var _ validator.String = contentTypeValidator{}

func (contentTypeValidator) Description(context.Context) string {
	return "a media type such as `application/json` or `text/plain; charset=utf-8`, on one line"
}
func (v contentTypeValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v contentTypeValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := contentTypeProblem(req.ConfigValue.ValueString()); problem != "" {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Content Type", "The content_type "+problem+".",
			"Use "+v.Description(ctx)+": type/subtype, then optional ; name=value parameters.", nil)
	}
}

// contentTypeProblem says what is wrong with a Content-Type value, "" if nothing.
func contentTypeProblem(s string) string {
	if he := webhook.CheckHeaderValue("Content-Type", s); he != nil {
		return strings.TrimPrefix(he.Problem, "has a value that ") // "contains a line break (CR or LF) ..."
	}
	mediaType, params, err := mime.ParseMediaType(s)
	if err != nil || !strings.Contains(mediaType, "/") {
		return fmt.Sprintf("%q is not a media type", s)
	}
	// Bodies are rendered and sent in UTF-8 whatever the type says: a receiver that decodes
	// one as the charset declared would read every other character wrongly (é as Ã©).
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return fmt.Sprintf("declares charset=%s, but bodies are sent in UTF-8: a receiver would read every "+
			"character past ASCII wrongly (give charset=utf-8, or no charset)", cs)
	}
	return ""
}

// Bounds of a postgres connection's statement_timeout and lock_timeout. They are stored in whole
// milliseconds (as Postgres takes them), so a finer duration would read back as another value.
const (
	MaxStatementTimeout = 24 * time.Hour
	MaxLockTimeout      = time.Hour
)

// ParseTimeout parses a statement or lock timeout: a Go duration above zero, in whole
// milliseconds, at most max.
func ParseTimeout(s string, max time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration such as 30s, 5m or 1h30m", s)
	case d <= 0:
		return 0, fmt.Errorf("%q is not above zero", s)
	case d%time.Millisecond != 0:
		return 0, fmt.Errorf("%q is not a whole number of milliseconds", s)
	case d > max:
		return 0, fmt.Errorf("%q is longer than the maximum of %s", s, warehouse.FormatDuration(max))
	}
	return d, nil
}

// timeoutValidator refuses what ParseTimeout refuses.
type timeoutValidator struct {
	max time.Duration
}

var _ validator.String = timeoutValidator{}

func (v timeoutValidator) Description(context.Context) string {
	return "a Go duration above zero and at most " + warehouse.FormatDuration(v.max) + ", in whole milliseconds"
}
func (v timeoutValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v timeoutValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := ParseTimeout(req.ConfigValue.ValueString(), v.max); err != nil {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Timeout", "The timeout must be "+v.Description(ctx)+".",
			"Write it as Go does, e.g. \"30s\", \"5m\" or \"1h30m\"; leave it unset for the default.", err)
	}
}

// postgresURLValidator refuses warehouse URLs that pgx, which the warehouse reader connects with,
// cannot parse. Its messages never echo the URL: it usually holds a password.
type postgresURLValidator struct{}

var _ validator.String = postgresURLValidator{}

func (postgresURLValidator) Description(context.Context) string {
	return "must be a Postgres connection string: a postgres:// URL or keyword/value settings"
}
func (v postgresURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (postgresURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := postgresURLProblem(req.ConfigValue.ValueString()); problem != "" {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Postgres URL",
			"The warehouse URL "+problem+" (its text is not shown: it may hold a password).",
			"Use a URL such as postgres://reader:password@host:5432/analytics?sslmode=require, or keyword/value "+
				"settings such as \"host=... dbname=... user=...\"; percent-encode special characters in the "+
				"user name and password.", nil)
	}
}

// postgresURLProblem says what is wrong with a warehouse URL, "" if nothing. pgx's errors quote
// the URL (with a best-effort password redaction), so only known phrases of them are translated.
func postgresURLProblem(s string) string {
	if strings.TrimSpace(s) == "" {
		return "is blank"
	}
	// The runner's own check: what a warehouse URL may not take from the host Backflow runs on.
	_, err := warehouse.ParsePostgresURL(s)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, warehouse.ErrPostgresURLOfAnotherForm):
		// The runner refuses it (a server would quote the setting's name, the URL and its
		// password, in its refusal).
		return "does not start with postgres:// or postgresql://, so it is read as keyword/value settings, and one " +
			"setting's name is not a name (a URL of another form, such as postgresql+psycopg:// or jdbc:postgresql://?)"
	case errors.Is(err, warehouse.ErrPostgresURLRefused):
		return "is refused: " + strings.TrimPrefix(err.Error(), warehouse.ErrPostgresURLRefused.Error()+": ")
	}
	text := err.Error()
	for _, k := range []struct{ phrase, problem string }{
		{"failed to parse as URL", "does not parse as a postgres:// URL"},
		{"failed to parse as keyword/value", "is neither a postgres:// URL nor keyword/value settings"},
		{"invalid port", "has a port that is not a number from 1 to 65535"},
		{"could not match", "does not have one port per host"},
		{"failed to configure TLS", "has TLS settings that cannot be used: check sslmode, and that the files " +
			"sslrootcert, sslcert and sslkey name exist here"},
		{"failed to read service", "names a service that cannot be read from the service file"},
	} {
		if strings.Contains(text, k.phrase) {
			return k.problem
		}
	}
	return "does not parse as a Postgres connection string: one of its settings has a value pgx does not accept"
}

// refuseNUL adds an error for each string of a resource's configuration, at any depth, that
// holds a NUL character: the control plane keeps configuration in Postgres text and jsonb, which
// cannot hold one, so the apply would fail with Postgres's bare "invalid byte sequence" (HCL's
// "\u0000" makes one). The value is not shown: it may be a secret.
func refuseNUL(cfg tfsdk.Config, diags *diag.Diagnostics) {
	_ = tftypes.Walk(cfg.Raw, func(p *tftypes.AttributePath, v tftypes.Value) (bool, error) {
		if !v.Type().Is(tftypes.String) || !v.IsKnown() || v.IsNull() {
			return true, nil
		}
		var s string
		if err := v.As(&s); err != nil {
			return true, nil
		}
		if i := strings.IndexByte(s, 0); i >= 0 {
			diags.AddError("Text Backflow Cannot Store",
				fmt.Sprintf("%s holds a NUL character (\\u0000) at character %d. Backflow's control plane keeps its "+
					"configuration in Postgres, whose text cannot hold one, so the apply would fail: remove it.",
					configPath(p), utf8.RuneCountInString(s[:i])+1))
		}
		return true, nil
	})
}

// configPath is p as a configuration names it: requests.headers["X-Key"], mappings[2].to.
func configPath(p *tftypes.AttributePath) string {
	var b strings.Builder
	for _, step := range p.Steps() {
		switch s := step.(type) {
		case tftypes.AttributeName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(s))
		case tftypes.ElementKeyString:
			fmt.Fprintf(&b, "[%q]", string(s))
		case tftypes.ElementKeyInt:
			fmt.Fprintf(&b, "[%d]", int64(s))
		default:
			b.WriteString("[…]")
		}
	}
	return b.String()
}

// wholeNumberValidator checks a count: a whole number from min to max (math.MaxInt64: no bound
// but int64's). Counts are Number attributes, not Int64 ones, so that a value such as 2.5 (e.g.
// local.rows / 4) or 1e30 gets this message naming the attribute and what to write, rather than
// the framework's conversion error ("This is always an error in the provider. Please report
// ...") and, inside a block, a second error about the block as if unset. title is the error's
// summary ("Invalid Attribute Value" when empty); unset, when set, says what leaving the
// attribute out does.
type wholeNumberValidator struct {
	min, max     int64
	title, unset string
}

var _ validator.Number = wholeNumberValidator{}

// maxRequestsPerSecondValidator checks a rate_limit's max_requests_per_second.
var maxRequestsPerSecondValidator = wholeNumberValidator{min: 1, max: pacing.MaxRequestsPerSecond,
	title: "Invalid Request Rate", unset: "no pacing"}

func (v wholeNumberValidator) Description(context.Context) string {
	if v.max < math.MaxInt64 {
		return fmt.Sprintf("a whole number between %d and %d", v.min, v.max)
	}
	return fmt.Sprintf("a whole number, at least %d", v.min)
}
func (v wholeNumberValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v wholeNumberValidator) ValidateNumber(ctx context.Context, req validator.NumberRequest, resp *validator.NumberResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	f := req.ConfigValue.ValueBigFloat()
	var problem string
	switch {
	case !f.IsInt():
		problem = "is not a whole number"
	case f.Cmp(new(big.Float).SetInt64(v.min)) < 0:
		problem = fmt.Sprintf("is below the minimum: it must be at least %d", v.min)
	case f.Cmp(new(big.Float).SetInt64(v.max)) > 0:
		problem = fmt.Sprintf("is above the maximum of %d", v.max)
	default:
		return
	}
	detail := fmt.Sprintf("Set `%s` to %s.", req.Path, v.Description(ctx))
	if v.unset != "" {
		detail = fmt.Sprintf("Set `%s` to %s, or leave it unset for %s.", req.Path, v.Description(ctx), v.unset)
	}
	addAttributeError(&resp.Diagnostics, req.Path, cmp.Or(v.title, "Invalid Attribute Value"),
		fmt.Sprintf("`%s` = %s %s.", req.Path, f.Text('g', -1), problem), detail, nil)
}

// wholeNumber is the int64 of a Number that wholeNumberValidator admitted (0 when null or unknown).
func wholeNumber(n types.Number) int64 {
	if n.IsNull() || n.IsUnknown() {
		return 0
	}
	i, _ := n.ValueBigFloat().Int64()
	return i
}

// wholeNumberPointer is wholeNumber, nil when null or unknown.
func wholeNumberPointer(n types.Number) *int64 {
	if n.IsNull() || n.IsUnknown() {
		return nil
	}
	i := wholeNumber(n)
	return &i
}

// wholeNumberValue is the Terraform value of a count.
func wholeNumberValue(i int64) types.Number { return types.NumberValue(new(big.Float).SetInt64(i)) }

// wholeNumberPointerValue is wholeNumberValue, null for nil.
func wholeNumberPointerValue(i *int64) types.Number {
	if i == nil {
		return types.NumberNull()
	}
	return wholeNumberValue(*i)
}
