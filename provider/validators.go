package provider

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/robfig/cron/v3"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// MinEvery is the shortest `every` schedule: the runner polls on the order of seconds and a
// shorter interval would only queue runs behind each other.
const MinEvery = time.Minute

// cronParser is the standard five-field parser (minute hour day-of-month month day-of-week),
// plus descriptors such as @hourly. Schedules run in UTC.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a five-field cron expression evaluated in UTC. It refuses `@every`, which
// the descriptor syntax would accept with any interval (bypassing MinEvery), and schedules that
// never fire, such as "0 0 31 2 *".
func ParseCron(expr string) (cron.Schedule, error) {
	e := strings.TrimSpace(expr)
	if strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "CRON_TZ=") {
		return nil, errors.New("a time zone prefix is not supported: cron schedules run in UTC")
	}
	if e == "" {
		return nil, errors.New("the cron expression is empty")
	}
	if strings.HasPrefix(strings.ToLower(e), "@every") {
		return nil, fmt.Errorf("@every is not supported in cron: use schedule.every instead (at least %s)", MinEvery)
	}
	s, err := cronParser.Parse(e)
	if err != nil {
		return nil, err
	}
	if s.Next(time.Now().UTC()).IsZero() {
		return nil, errors.New("the schedule never fires: no date matches it (e.g. the 31st of a month that has 30 days or fewer)")
	}
	return s, nil
}

// ParseEvery parses an `every` schedule: a Go duration of at least MinEvery.
func ParseEvery(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 15m, 1h or 1h30m: %w", s, err)
	}
	if d < MinEvery {
		return 0, fmt.Errorf("%q is shorter than the minimum of %s", s, MinEvery)
	}
	return d, nil
}

// cronValidator refuses expressions robfig/cron's standard parser refuses.
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
	if _, err := ParseCron(req.ConfigValue.ValueString()); err != nil {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Cron Schedule",
			fmt.Sprintf("%q is not a valid cron expression.", req.ConfigValue.ValueString()),
			"Use five fields, minute hour day-of-month month day-of-week, evaluated in UTC: e.g. \"0 * * * *\" "+
				"for every hour, \"30 6 * * 1-5\" for 06:30 UTC on weekdays.", err)
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
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "does not parse"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an http:// or https:// URL"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has a port outside 1-65535"
		}
	}
	return ""
}

// everyValidator refuses durations that do not parse or are shorter than MinEvery.
type everyValidator struct{}

var _ validator.String = everyValidator{}

func (everyValidator) Description(context.Context) string {
	return "a Go duration of at least " + MinEvery.String()
}
func (v everyValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (everyValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := ParseEvery(req.ConfigValue.ValueString()); err != nil {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid Schedule Interval",
			fmt.Sprintf("`every` must be a duration of at least %s.", MinEvery),
			"Write it as Go does, e.g. \"15m\", \"1h\" or \"1h30m\".", err)
	}
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
