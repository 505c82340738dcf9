package provider

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

// Warehouse blocks of backflow_connection other than postgres: one function per warehouse
// kind, each with its URL validator.

// timeoutAttributes are statement_timeout and lock_timeout, as every warehouse block has them;
// what says how the warehouse applies them.
func timeoutAttributes(statementHow, lockHow string) map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"statement_timeout": schema.StringAttribute{
			MarkdownDescription: "Longest time one statement of a model read may run, as a Go duration such as " +
				"`30s`, `5m` or `2h` (above zero, at most `" + warehouse.FormatDuration(MaxStatementTimeout) + "`). " +
				"Applies to every read of a model on this warehouse: runs, `backflow-runner test`, dry runs " +
				"and the plan-time describe. A run reads the whole model before it sends a record (the runner " +
				"sorts the rows by key), so a read lasts as long as the warehouse takes to return every row, " +
				"not as long as the delivery. " + statementHow + "Unset: `" + warehouse.FormatDuration(warehouse.DefaultStatementTimeout) + "`.",
			Optional:   true,
			Validators: []validator.String{timeoutValidator{max: MaxStatementTimeout}},
		},
		"lock_timeout": schema.StringAttribute{
			MarkdownDescription: "Longest time a model read waits for a lock (e.g. behind a migration that " +
				"locks a table), as a Go duration such as `10s` (above zero, at most `" +
				warehouse.FormatDuration(MaxLockTimeout) + "`). " + lockHow + "Unset: `" +
				warehouse.FormatDuration(warehouse.DefaultLockTimeout) + "`.",
			Optional:   true,
			Validators: []validator.String{timeoutValidator{max: MaxLockTimeout}},
		},
	}
}

// mysqlBlock is the `mysql` attribute: a MySQL or MariaDB warehouse.
func mysqlBlock(replaceOnKind planmodifier.Object) schema.SingleNestedAttribute {
	attrs := timeoutAttributes(
		"MariaDB applies it as `max_statement_time`, MySQL as `max_execution_time`. ",
		"Applied as `innodb_lock_wait_timeout` and `lock_wait_timeout`, in whole seconds rounded up. ")
	attrs["url"] = schema.StringAttribute{
		MarkdownDescription: "URL of the MySQL or MariaDB warehouse: `mysql://user:password@host:3306/database`, " +
			"optionally with the parameters of github.com/go-sql-driver/mysql after `?` (e.g. `tls=true`). Refused at " +
			"plan time when it does not parse (the message never shows it). Sensitive.",
		Required:   true,
		Sensitive:  true,
		Validators: []validator.String{mysqlURLValidator{}},
	}
	return schema.SingleNestedAttribute{
		MarkdownDescription: "A MySQL or MariaDB warehouse, read in a `READ ONLY` transaction with the " +
			"timeouts below, in the UTC time zone (see docs/warehouses.md for its types and key order). " +
			"Conflicts with the other blocks.",
		Optional:      true,
		Attributes:    attrs,
		PlanModifiers: []planmodifier.Object{replaceOnKind},
	}
}

// mysqlURLValidator refuses URLs the MySQL driver cannot use. Its messages never echo the URL.
type mysqlURLValidator struct{}

var _ validator.String = mysqlURLValidator{}

func (mysqlURLValidator) Description(context.Context) string {
	return "must be a mysql://user:password@host:port/database URL"
}
func (v mysqlURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (mysqlURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	problem := ""
	if strings.TrimSpace(s) == "" {
		problem = "The warehouse URL is blank."
	} else if _, err := warehouse.ParseMySQLURL(s); err != nil {
		problem = "The warehouse URL is not valid: " + err.Error() + "."
	}
	if problem != "" {
		addAttributeError(&resp.Diagnostics, req.Path, "Invalid MySQL URL", problem,
			"Use a URL such as mysql://reader:password@host:3306/analytics?tls=true; percent-encode special "+
				"characters in the user name and password.", nil)
	}
}

// duckdbAttrTypes are the attributes of the `duckdb` block.
var duckdbAttrTypes = map[string]attr.Type{"database": types.StringType, "init_sql": types.StringType,
	"statement_timeout": types.StringType}

type duckdbModel struct {
	Database         types.String `tfsdk:"database"`
	InitSQL          types.String `tfsdk:"init_sql"`
	StatementTimeout types.String `tfsdk:"statement_timeout"`
}

// duckdbBlock is the `duckdb` attribute: a DuckDB database, for Parquet, CSV and JSON files
// through DuckDB's functions.
func duckdbBlock(replaceOnKind planmodifier.Object) schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "A DuckDB database: models can read its tables, and Parquet, CSV and JSON files, local " +
			"or remote, through DuckDB's functions (`select * from read_parquet('s3://bucket/users/*.parquet')`). " +
			"The runner and the provider must be built with cgo (the release binaries are). Conflicts with the other blocks.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"database": schema.StringAttribute{
				MarkdownDescription: "A DuckDB database file (opened read-only, so it may be shared with a writer only " +
					"while none writes), `:memory:` (for models that only read files), or `md:name` for MotherDuck. " +
					"Put tokens in `init_sql`, not here: this value is shown in plans, so a parameter that looks like a " +
					"credential (`md:name?motherduck_token=...`; a name containing token, secret, password, key or auth) " +
					"is refused at plan time.",
				Required:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1), duckDBDatabaseValidator{}},
			},
			"init_sql": schema.StringAttribute{
				MarkdownDescription: "SQL run on every connection before the model: `INSTALL httpfs; LOAD httpfs;`, " +
					"`CREATE SECRET (TYPE s3, ...)`, `SET motherduck_token = '...'`, `ATTACH '...' (READ_ONLY)`. On a " +
					"database file it runs read-only. Sensitive and sealed: it may hold credentials.",
				Optional:  true,
				Sensitive: true,
				// Not empty: the store keeps "" as unset, so it would be planned again on every plan.
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"statement_timeout": timeoutAttributes("DuckDB has no such setting: a read still running when it "+
				"expires is interrupted (`duckdb_interrupt`) and fails. ", "")["statement_timeout"],
		},
		PlanModifiers: []planmodifier.Object{replaceOnKind},
	}
}

// postgresAttributes are the `postgres` block's attributes: its URL and the timeouts.
func postgresAttributes() map[string]schema.Attribute {
	attrs := timeoutAttributes("", "Applies to every read of a model on this warehouse: "+
		"runs, `backflow-runner test`, dry runs and the plan-time describe. ")
	attrs["url"] = schema.StringAttribute{
		MarkdownDescription: "Postgres URL of the warehouse, e.g. `postgres://reader:secret@host:5432/analytics`, " +
			"or keyword/value settings (`host=... dbname=...`). Refused at plan time when it does not parse " +
			"(the message never shows it). Sensitive.",
		Required:   true,
		Sensitive:  true,
		Validators: []validator.String{postgresURLValidator{}},
	}
	return attrs
}

// duckDBDatabaseValidator refuses a credential among a DuckDB database's parameters (what follows
// '?', as in MotherDuck's `md:db?motherduck_token=...`): `database` is shown in plans and
// stored in the state as it is. Its message names the parameter, never its value.
type duckDBDatabaseValidator struct{}

var _ validator.String = duckDBDatabaseValidator{}

func (duckDBDatabaseValidator) Description(context.Context) string {
	return "must not carry a token, secret, password or key among its parameters (put them in init_sql)"
}
func (v duckDBDatabaseValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (duckDBDatabaseValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if shown, ok := credentialParam(req.ConfigValue.ValueString(), credentialSubstring, nil); ok {
		addAttributeError(&resp.Diagnostics, req.Path, "Credential in DuckDB Database",
			fmt.Sprintf("The DuckDB database carries %s, which looks like a credential; `database` is not sensitive: "+
				"plans and outputs show it. Its value is not shown here.", shown),
			"Remove it from `database` and set it in `init_sql`, which is sensitive and sealed, e.g. "+
				"`SET motherduck_token = '...'` for MotherDuck (then `database = \"md:name\"`).", nil)
	}
	if problem := warehouse.DuckDBDatabaseProblem(req.ConfigValue.ValueString()); problem != "" {
		addAttributeError(&resp.Diagnostics, req.Path, "Refused DuckDB Setting", "The DuckDB database "+problem+".",
			"Use extensions DuckDB signs (INSTALL and LOAD them in `init_sql`).", nil)
	}
}

// credentialParam finds, among the parameters after s's first '?' (separated by '&' or ';'), the
// first whose name looks like a credential's (isCredential), as written or percent-decoded
// (what reads them as a URL's query decodes them: motherduck%5Ftoken is motherduck_token), and
// whose value counts (counts nil: every value). It returns how a message may name it: "the
// parameter \"x\"", or "a parameter" for a name too long or unprintable to show.
func credentialParam(s string, isCredential func(name string) bool, counts func(value string) bool) (string, bool) {
	_, params, ok := strings.Cut(s, "?")
	if !ok {
		return "", false
	}
	for _, kv := range strings.FieldsFunc(params, func(r rune) bool { return r == '&' || r == ';' }) {
		name, value, _ := strings.Cut(kv, "=")
		decoded, err := url.QueryUnescape(name)
		if err != nil {
			decoded = name
		}
		if !isCredential(name) && !isCredential(decoded) || counts != nil && !counts(value) {
			continue
		}
		if len(name) > 64 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return "a parameter", true
		}
		return fmt.Sprintf("the parameter %q", name), true
	}
	return "", false
}
