package provider

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

// These run with plain `go test`: no TF_ACC, no Postgres.

func validateString(v validator.String, value types.String) []string {
	resp := &validator.StringResponse{}
	v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: value}, resp)
	var out []string
	for _, d := range resp.Diagnostics.Errors() {
		out = append(out, d.Summary())
	}
	return out
}

func TestStringValidators(t *testing.T) {
	tests := []struct {
		name  string
		v     validator.String
		value types.String
		want  []string
	}{
		{"cron ok", cronValidator{}, types.StringValue("0 * * * *"), nil},
		{"cron bad", cronValidator{}, types.StringValue("0 25 * * *"), []string{"Invalid Cron Schedule"}},
		{"cron @every", cronValidator{}, types.StringValue("@every 1s"), []string{"Invalid Cron Schedule"}},
		{"cron never", cronValidator{}, types.StringValue("0 0 31 2 *"), []string{"Invalid Cron Schedule"}},
		{"cron null", cronValidator{}, types.StringNull(), nil},
		{"cron Sunday as 7", cronValidator{}, types.StringValue("0 6 * * 5-7"), nil},
		{"cron step longer than the field", cronValidator{}, types.StringValue("*/61 * * * *"), []string{"Invalid Cron Schedule"}},
		{"cron empty list item", cronValidator{}, types.StringValue("1,,2 * * * *"), []string{"Invalid Cron Schedule"}},
		{"cron unknown", cronValidator{}, types.StringUnknown(), nil},
		{"every ok", everyValidator{}, types.StringValue("1m"), nil},
		{"every short", everyValidator{}, types.StringValue("59s"), []string{"Invalid Schedule Interval"}},
		{"every bad", everyValidator{}, types.StringValue("1 minute"), []string{"Invalid Schedule Interval"}},
		{"every unknown", everyValidator{}, types.StringUnknown(), nil},
		{"content type ok", contentTypeValidator{}, types.StringValue("application/json; charset=utf-8"), nil},
		{"content type vendor", contentTypeValidator{}, types.StringValue("application/vnd.api+json"), nil},
		{"content type CRLF", contentTypeValidator{}, types.StringValue("text/plain\r\nX-Injected: 1"), []string{"Invalid Content Type"}},
		{"content type LF", contentTypeValidator{}, types.StringValue("application/json\n"), []string{"Invalid Content Type"}},
		{"content type space", contentTypeValidator{}, types.StringValue("text plain"), []string{"Invalid Content Type"}},
		{"content type no subtype", contentTypeValidator{}, types.StringValue("text/"), []string{"Invalid Content Type"}},
		{"content type unknown", contentTypeValidator{}, types.StringUnknown(), nil},
		// Bodies are sent in UTF-8: another charset declared makes the receiver misread them.
		{"content type latin-1", contentTypeValidator{}, types.StringValue("text/plain; charset=iso-8859-1"), []string{"Invalid Content Type"}},
		{"content type windows-1252", contentTypeValidator{}, types.StringValue("application/json; charset=\"windows-1252\""), []string{"Invalid Content Type"}},
		{"content type utf-16", contentTypeValidator{}, types.StringValue("application/json; charset=UTF-16"), []string{"Invalid Content Type"}},
		{"content type UTF-8 upper", contentTypeValidator{}, types.StringValue("text/plain; charset=UTF-8"), nil},
		{"content type utf8", contentTypeValidator{}, types.StringValue("text/csv; charset=utf8; header=present"), nil},
		{"content type text/json", contentTypeValidator{}, types.StringValue("text/json"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, validateString(tt.v, tt.value)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUniqueTargetsValidator(t *testing.T) {
	mapping := func(from, constant, to attr.Value) attr.Value {
		return types.ObjectValueMust(mappingAttrTypes, map[string]attr.Value{"from": from, "constant": constant, "to": to,
			"metadata": types.StringNull(), "hash": types.StringNull(), "normalize": types.ListNull(types.StringType)})
	}
	s := types.StringValue
	list := func(elems ...attr.Value) types.List { return types.ListValueMust(mappingType, elems) }
	tests := []struct {
		name  string
		value types.List
		want  []string
	}{
		{"unique", list(mapping(s("a"), types.StringNull(), s("a")), mapping(types.StringNull(), s("c"), s("b"))), nil},
		{"duplicate", list(mapping(s("a"), types.StringNull(), s("x")), mapping(s("b"), types.StringNull(), s("x"))),
			[]string{"Duplicate Mapping Target"}},
		{"unknown target", list(mapping(s("a"), types.StringNull(), types.StringUnknown()),
			mapping(s("b"), types.StringNull(), types.StringUnknown())), nil},
		{"null", types.ListNull(mappingType), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &validator.ListResponse{}
			uniqueTargetsValidator{}.ValidateList(context.Background(),
				validator.ListRequest{Path: path.Root("mappings"), ConfigValue: tt.value}, resp)
			var got []string
			for _, d := range resp.Diagnostics.Errors() {
				got = append(got, d.Summary())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckColumns(t *testing.T) {
	m := &controlplane.Model{Name: "users", Columns: []controlplane.Column{{Name: "unique_id", Type: "text"}, {Name: "email", Type: "text"}}}
	crm := "crm"
	got := checkColumns(m, "id", []controlplane.Mapping{
		{From: "email", To: "email"}, {Constant: &crm, To: "source"}, {From: "emial", To: "e"},
	})
	want := []columnProblem{
		{Attribute: "primary_key", Index: -1, Column: "id"},
		{Attribute: "mappings[2].from", Index: 2, Column: "emial"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checkColumns (-want +got):\n%s", diff)
	}
	if got := checkColumns(m, "unique_id", nil); got != nil {
		t.Errorf("checkColumns of valid settings = %v, want none", got)
	}
}

// TestSchemasDescribed checks that every attribute of the provider, its resources and data
// sources has a MarkdownDescription, and that the behavior enum feeds the description.
func TestSchemasDescribed(t *testing.T) {
	ctx := context.Background()
	p := New("test")()
	var pr provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &pr)
	for name, a := range pr.Schema.Attributes {
		if a.GetMarkdownDescription() == "" {
			t.Errorf("provider attribute %s has no MarkdownDescription", name)
		}
	}
	eachResourceSchema(ctx, p, func(typeName string, sr resource.SchemaResponse) {
		if sr.Diagnostics.HasError() {
			t.Fatalf("%s schema: %v", typeName, sr.Diagnostics)
		}
		if sr.Schema.MarkdownDescription == "" {
			t.Errorf("%s has no MarkdownDescription", typeName)
		}
		checkDescribed(t, typeName, sr.Schema.Attributes)
		if typeName == "backflow_sync" {
			desc := sr.Schema.Attributes["behavior"].GetMarkdownDescription()
			for _, b := range controlplane.Behaviors {
				if !strings.Contains(desc, "`"+b+"`") {
					t.Errorf("behavior description does not mention %s: %s", b, desc)
				}
			}
		}
	})
	for _, f := range p.DataSources(ctx) {
		d := f()
		var md datasource.MetadataResponse
		d.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "backflow"}, &md)
		var sr datasource.SchemaResponse
		d.Schema(ctx, datasource.SchemaRequest{}, &sr)
		if sr.Schema.MarkdownDescription == "" {
			t.Errorf("data source %s has no MarkdownDescription", md.TypeName)
		}
		for name, a := range sr.Schema.Attributes {
			if a.GetMarkdownDescription() == "" {
				t.Errorf("data source %s attribute %s has no MarkdownDescription", md.TypeName, name)
			}
			if a.IsSensitive() {
				t.Errorf("data source %s attribute %s is sensitive: data sources expose no secrets", md.TypeName, name)
			}
		}
	}
}

// checkDescribed walks resource attributes, nested ones included.
func checkDescribed(t *testing.T, where string, attrs map[string]rschema.Attribute) {
	t.Helper()
	for name, a := range attrs {
		if a.GetMarkdownDescription() == "" {
			t.Errorf("%s.%s has no MarkdownDescription", where, name)
		}
		switch n := a.(type) {
		case rschema.SingleNestedAttribute:
			checkDescribed(t, where+"."+name, n.Attributes)
		case rschema.ListNestedAttribute:
			checkDescribed(t, where+"."+name, n.NestedObject.Attributes)
		}
	}
}

func TestNameValidator(t *testing.T) {
	// controlplane.MaxNameLength characters of 4 bytes each still fit the control plane's unique index on names.
	for _, s := range []string{"Active users to webhook", "a", "Grüße → CRM", " padded ", strings.Repeat("例", controlplane.MaxNameLength),
		strings.Repeat("🙂", controlplane.MaxNameLength)} {
		if got := validateString(nameValidator{}, types.StringValue(s)); got != nil {
			t.Errorf("%q: %v, want no diagnostics", s, got)
		}
	}
	for _, s := range []string{"", " ", "\t", "a\x00b", "line\nbreak", "cr\r", "bell\a", "esc\x1b[2J", "del\x7f",
		"c1\u0085", "sep\u2028", "para\u2029", strings.Repeat("x", controlplane.MaxNameLength+1),
		"Users to \u202ekooh", "lre\u202a", "pdf\u202c", "isolate\u2066x\u2069", "fsi\u2068"} {
		if got := validateString(nameValidator{}, types.StringValue(s)); !cmp.Equal(got, []string{"Invalid Name"}) {
			t.Errorf("%q: %v, want Invalid Name", s, got)
		}
	}
	// Characters shown as nothing: "users\u200b" would pass in a plan for "users". The message
	// names the character and where it is.
	for _, r := range []rune{'\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2060', '\u2061', '\u2062', '\u2063',
		'\u2064', '\u061c', '\ufeff', '\u180e', '\u00ad', '\u034f', '\u115f', '\u1160', '\u3164', '\uffa0', '\ufe0f',
		'\U000e0001', '\U000e0041', '\U000e0100'} {
		s := "users" + string(r)
		resp := &validator.StringResponse{}
		nameValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("name"), ConfigValue: types.StringValue(s)}, resp)
		want := fmt.Sprintf("The name contains an invisible character (%U at character 6)", r)
		if !resp.Diagnostics.HasError() || resp.Diagnostics[0].Summary() != "Invalid Name" || !strings.Contains(resp.Diagnostics[0].Detail(), want) {
			t.Errorf("%q: %v, want Invalid Name: %s", s, resp.Diagnostics, want)
		}
	}
}

// TestNameValidatorScripts: names people write in their own script are accepted: accented
// letters in NFD (a letter and its combining mark), CJK, Hebrew, Arabic with its vowel marks, and
// the zero width non-joiner and joiner inside a word of a script whose spelling needs them
// (Persian's "های" suffix, Marathi's eyelash ra, Sinhala's "ශ්‍රී"); a joiner anywhere else is shown
// as nothing, and refused.
func TestNameValidatorScripts(t *testing.T) {
	for _, s := range []string{"Gru\u0308\u00dfe an CRM", "Cafe\u0301 users", "用户同步", "משתמשים פעילים",
		"\u0627\u0644\u0645\u064f\u0633\u062a\u062e\u062f\u0645\u064a\u0646",              // Arabic, with a damma
		"\u06af\u0632\u0627\u0631\u0634\u200c\u0647\u0627\u06cc \u0641\u0631\u0648\u0634", // Persian: گزارش‌های فروش
		"\u0645\u06cc\u200c\u0634\u0648\u062f",                                            // Persian: می‌شود
		"\u0930\u094d\u200d\u092f \u0915\u094d\u200c\u0937",                               // Marathi: र्‍य, क्‌ष
		"\u0dc1\u0dca\u200d\u0dbb\u0dd3 \u0dbd\u0d82\u0d9a\u0dcf",                         // Sinhala: ශ්‍රී ලංකා
		"\u0d05\u0d35\u0d28\u0d4d\u200d \u0d15",                                           // Malayalam: അവന്‍ (a chillu written with a virama and a joiner)
		"\u0645\u064e\u200c\u0647"} {                                                      // a joiner after an Arabic letter's vowel mark
		if got := validateString(nameValidator{}, types.StringValue(s)); got != nil {
			t.Errorf("%q: %v, want no diagnostics", s, got)
		}
	}
	for _, s := range []string{"users\u200c", "us\u200ders", "\u200c\u06af\u0632", "\u06af\u0632\u200c",
		"\u06af\u0632\u200c\u200c\u0647\u0627", "\u06af\u0632\u200cusers", "users\u200d\u06af\u0632",
		"\u0915\u200d\u06af", "\u06af\u0632\u200c \u0647\u0627", "\u0301\u200d\u0915"} {
		if got := validateString(nameValidator{}, types.StringValue(s)); !cmp.Equal(got, []string{"Invalid Name"}) {
			t.Errorf("%q: %v, want Invalid Name", s, got)
		}
	}
}

func TestSigningSecretValidator(t *testing.T) {
	const ok = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	if got := validateString(signingSecretValidator{}, types.StringValue(ok)); got != nil {
		t.Errorf("%q: %v, want no diagnostics", ok, got)
	}
	for _, s := range []string{"whsec_", "abc", "whsec_!!!", "whsec_c2VjcmV0c2VjcmV0c2VjcmV0", ok + "\n", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		resp := &validator.StringResponse{}
		signingSecretValidator{}.ValidateString(context.Background(),
			validator.StringRequest{Path: path.Root("signing_secret"), ConfigValue: types.StringValue(s)}, resp)
		if !resp.Diagnostics.HasError() || resp.Diagnostics[0].Summary() != "Invalid Signing Secret" {
			t.Errorf("%q: %v, want Invalid Signing Secret", s, resp.Diagnostics)
			continue
		}
		if d := resp.Diagnostics[0].Detail(); len(s) > 6 && strings.Contains(d, strings.TrimPrefix(s, "whsec_")) {
			t.Errorf("%q: the diagnostic echoes the secret:\n%s", s, d)
		}
	}
}

func TestHeadersValidator(t *testing.T) {
	validate := func(m types.Map) diag.Diagnostics {
		resp := &validator.MapResponse{}
		headersValidator{}.ValidateMap(context.Background(),
			validator.MapRequest{Path: path.Root("headers"), ConfigValue: m}, resp)
		return resp.Diagnostics
	}
	s := types.StringValue
	headers := func(kv ...string) types.Map {
		elems := map[string]attr.Value{}
		for i := 0; i < len(kv); i += 2 {
			elems[kv[i]] = s(kv[i+1])
		}
		return types.MapValueMust(types.StringType, elems)
	}
	if d := validate(headers("Authorization", "Bearer t0ken", "X-Tenant", "acme")); d.HasError() {
		t.Errorf("valid headers: %v", d)
	}
	if d := validate(types.MapValueMust(types.StringType, map[string]attr.Value{"X-Later": types.StringUnknown()})); d.HasError() {
		t.Errorf("an unknown value: %v, want it left to apply", d)
	}
	if d := validate(types.MapValueMust(types.StringType, map[string]attr.Value{"Bad Name": types.StringUnknown()})); !d.HasError() {
		t.Errorf("a bad name with an unknown value: accepted, want the name refused now")
	}
	for _, tc := range []struct {
		m    types.Map
		want string
	}{
		{headers("X Api Key", "s3cret"), "not a valid header name"},
		{headers("", "s3cret"), "empty name"},
		{headers("X-Api-Key", "s3cret\r\nX-Evil: 1"), "line break"},
		{headers("X-Api-Key", "s3cret\x00"), "NUL"},
		{headers("X-Api-Key", "s3cret\x0b"), "control character"},
		{headers("content-type", "text/plain"), "set by the runner"},
		{headers("WEBHOOK-SIGNATURE", "v1,forged"), "set by the runner"},
		{headers("Host", "evil.example"), "set by the runner"},
		{headers("user-agent", "me"), "set by the runner"},
		{headers("X-Key", "a", "x-key", "b"), "case-insensitive"},
	} {
		d := validate(tc.m)
		if !d.HasError() || d[0].Summary() != "Invalid Webhook Header" || !strings.Contains(d[0].Detail(), tc.want) {
			t.Errorf("%v: %v, want Invalid Webhook Header saying %q", tc.m, d, tc.want)
			continue
		}
		if strings.Contains(d[0].Detail(), "s3cret") {
			t.Errorf("%v: the diagnostic echoes a value:\n%s", tc.m, d[0].Detail())
		}
		if tc.want == "set by the runner" && !strings.Contains(d[0].Detail(), "Content-Type, Content-Length, Host, User-Agent, webhook-id") {
			t.Errorf("%v: the diagnostic does not name what the runner sets:\n%s", tc.m, d[0].Detail())
		}
	}
}

func TestMaxRequestsPerSecondValidator(t *testing.T) {
	validate := func(f *big.Float) []string {
		resp := &validator.NumberResponse{}
		maxRequestsPerSecondValidator.ValidateNumber(context.Background(),
			validator.NumberRequest{Path: path.Root("max_requests_per_second"), ConfigValue: types.NumberValue(f)}, resp)
		var out []string
		for _, d := range resp.Diagnostics.Errors() {
			out = append(out, d.Detail())
		}
		return out
	}
	for _, v := range []float64{1, 30, pacing.MaxRequestsPerSecond} {
		if got := validate(big.NewFloat(v)); got != nil {
			t.Errorf("%v: %v, want no diagnostics", v, got)
		}
	}
	for v, want := range map[float64]string{1.5: "not a whole number", 0.5: "not a whole number", 0: "at least 1",
		-3: "at least 1", 1e12: "above the maximum of 10000", pacing.MaxRequestsPerSecond + 1: "above the maximum"} {
		got := validate(big.NewFloat(v))
		if len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("%v: %v, want one error saying %q", v, got, want)
		}
	}
}

func TestParseTimeout(t *testing.T) {
	for s, want := range map[string]time.Duration{"30s": 30 * time.Second, "5m": 5 * time.Minute, "1ms": time.Millisecond,
		"1h30m": 90 * time.Minute, "24h": 24 * time.Hour, "1.5s": 1500 * time.Millisecond} {
		if got, err := ParseTimeout(s, MaxStatementTimeout); err != nil || got != want {
			t.Errorf("ParseTimeout(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for s, want := range map[string]string{"0s": "not above zero", "0": "not above zero", "-1s": "not above zero",
		"abc": "not a duration", "": "not a duration", "30": "not a duration", "1us": "whole number of milliseconds",
		"1.5ms": "whole number of milliseconds", "25h": "longer than the maximum of 24h"} {
		if _, err := ParseTimeout(s, MaxStatementTimeout); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTimeout(%q) = %v, want an error containing %q", s, err, want)
		}
	}
	if _, err := ParseTimeout("2h", MaxLockTimeout); err == nil {
		t.Errorf("ParseTimeout(2h, MaxLockTimeout) = ok, want longer than the maximum")
	}
	for d, want := range map[time.Duration]string{time.Hour: "1h", 90 * time.Minute: "1h30m", 5 * time.Minute: "5m",
		90 * time.Second: "1m30s", 10 * time.Second: "10s", 1500 * time.Millisecond: "1.5s", 250 * time.Millisecond: "250ms",
		time.Hour + time.Second: "1h0m1s"} {
		if got := warehouse.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(warehouse.FormatDuration(d)); err != nil || back != d {
			t.Errorf("FormatDuration(%v) = %q does not parse back: %v, %v", d, warehouse.FormatDuration(d), back, err)
		}
	}
}

func TestPostgresURLValidator(t *testing.T) {
	for _, u := range []string{"postgres://alice:s3cret@db.example.com:5432/analytics?sslmode=require",
		"postgresql://reader@[::1]/analytics", "host=db.example.com dbname=analytics user=reader password=s3cret"} {
		if got := validateString(postgresURLValidator{}, types.StringValue(u)); got != nil {
			t.Errorf("%q: %v, want no diagnostics", u, got)
		}
	}
	for u, want := range map[string]string{
		"not a url":                                   "neither a postgres:// URL nor keyword/value",
		"   ":                                         "blank",
		"postgres://alice:s3cret@h:99999/db":          "port",
		"postgres://alice:s3cret@h:abc/db":            "port",
		"postgres://alice:s3cret@[::1/db":             "does not parse as a postgres:// URL",
		"postgres://alice:s3cret@h/db?sslmode=s3cret": "TLS settings",
		"postgres://alice:s3cret@h/db?sslmode=verify-full&sslrootcert=/nonexistent/s3cret.pem": "TLS settings",
		"postgres://alice:s3cret@h/db?statement_cache_capacity=s3cret":                         "settings has a value",
	} {
		resp := &validator.StringResponse{}
		postgresURLValidator{}.ValidateString(context.Background(),
			validator.StringRequest{Path: path.Root("url"), ConfigValue: types.StringValue(u)}, resp)
		if !resp.Diagnostics.HasError() || !strings.Contains(resp.Diagnostics[0].Detail(), want) {
			t.Errorf("%q: %v, want Invalid Postgres URL saying %q", u, resp.Diagnostics, want)
			continue
		}
		if d := resp.Diagnostics[0].Detail(); strings.Contains(d, "s3cret") || strings.Contains(d, "alice") {
			t.Errorf("%q: the diagnostic echoes the URL:\n%s", u, d)
		}
	}
}

// A DuckDB database is shown in plans (it is not sensitive): a credential in its parameters, as
// MotherDuck's `md:db?motherduck_token=...` form puts one, is refused without being echoed.
func TestDuckDBDatabaseValidator(t *testing.T) {
	resp := &resource.SchemaResponse{}
	NewConnectionResource().Schema(context.Background(), resource.SchemaRequest{}, resp)
	database := resp.Schema.Attributes["duckdb"].(rschema.SingleNestedAttribute).Attributes["database"].(rschema.StringAttribute)
	validate := func(s string) diag.Diagnostics {
		vresp := &validator.StringResponse{}
		for _, v := range database.Validators {
			v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("database"), ConfigValue: types.StringValue(s)}, vresp)
		}
		return vresp.Diagnostics
	}
	for _, s := range []string{"/data/lake.duckdb", ":memory:", "md:analytics", "md:analytics?attach_mode=single",
		"/data/tokens.duckdb", "md:"} {
		if got := validate(s); got.HasError() {
			t.Errorf("%q: %v, want no diagnostics", s, got)
		}
	}
	for _, s := range []string{"md:analytics?motherduck_token=eyJhbGciOi.secret-8e51", "md:?motherduck_token=eyJhbGciOi.secret-8e51",
		"md:analytics?attach_mode=single&MOTHERDUCK_TOKEN=eyJhbGciOi.secret-8e51", "motherduck:db?token=eyJhbGciOi.secret-8e51",
		"/data/lake.duckdb?s3_secret_access_key=eyJhbGciOi.secret-8e51", "md:db?password=eyJhbGciOi.secret-8e51"} {
		got := validate(s)
		if !got.HasError() {
			t.Errorf("%q: no error, want a credential refused", s)
			continue
		}
		for _, d := range got {
			if strings.Contains(d.Summary()+d.Detail(), "secret-8e51") {
				t.Errorf("%q: the diagnostic shows the token: %s: %s", s, d.Summary(), d.Detail())
			}
			if !strings.Contains(d.Detail(), "init_sql") {
				t.Errorf("%q: the diagnostic does not say to use init_sql: %s", s, d.Detail())
			}
		}
	}
}

// TestCheckCursorTypes: the plan refuses a cursor whose values have no order to keep a mark by,
// MySQL's TINYINT(1) (BOOL, read as a boolean) among them, and takes the integer types.
func TestCheckCursorTypes(t *testing.T) {
	for typ, refused := range map[string]bool{"tinyint(1)": true, "bool": true, "decimal": true, "double": true,
		"float8": true, "numeric": true, "json": true, "year": true, "tinyint": false, "unsigned bigint": false,
		"bigint": false, "datetime": false, "timestamp with time zone": false, "varchar": false, "date": false, "hugeint": false} {
		m := &controlplane.Model{Name: "m", Columns: []controlplane.Column{{Name: "id", Type: "int"}, {Name: "c", Type: typ}}}
		attr, problem, _ := checkCursor(m, &controlplane.Sync{Cursor: "c"})
		if (problem != "") != refused || (refused && attr != "cursor") {
			t.Errorf("cursor of type %s: %q %q; want refused %v", typ, attr, problem, refused)
		}
		if typ == "tinyint(1)" && !strings.Contains(problem, "read as a boolean") {
			t.Errorf("cursor of type %s: %q; want it to say why", typ, problem)
		}
	}
}

// TestDuckDBDatabaseUnsignedExtensions: a database whose parameters set allow_unsigned_extensions
// (init_sql could then LOAD native code nobody signed into the provider and the runner) passed
// plan; the runner refuses it, and plan says so first.
func TestDuckDBDatabaseUnsignedExtensions(t *testing.T) {
	resp := &resource.SchemaResponse{}
	NewConnectionResource().Schema(context.Background(), resource.SchemaRequest{}, resp)
	database := resp.Schema.Attributes["duckdb"].(rschema.SingleNestedAttribute).Attributes["database"].(rschema.StringAttribute)
	for _, s := range []string{":memory:?allow_unsigned_extensions=true", "/data/lake.duckdb?threads=2&Allow_Unsigned_Extensions=1"} {
		vresp := &validator.StringResponse{}
		for _, v := range database.Validators {
			v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("database"), ConfigValue: types.StringValue(s)}, vresp)
		}
		if !vresp.Diagnostics.HasError() || !strings.Contains(vresp.Diagnostics[0].Detail(), "allow_unsigned_extensions") {
			t.Errorf("%q: %v, want allow_unsigned_extensions refused", s, vresp.Diagnostics)
		}
	}
}

// TestTimeoutLimitsDescribed: every duration attribute with an upper bound (timeoutValidator),
// of the provider and of every resource, nested ones included, says that bound in its
// description, the one the docs show: a user learns it there, not from a refused plan.
func TestTimeoutLimitsDescribed(t *testing.T) {
	ctx := context.Background()
	check := func(where, desc string, vs []validator.String) {
		for _, v := range vs {
			if tv, ok := v.(timeoutValidator); ok {
				if want := "at most `" + warehouse.FormatDuration(tv.max) + "`"; !strings.Contains(desc, want) {
					t.Errorf("%s: description does not say %s: %s", where, want, desc)
				}
			}
		}
	}
	p := New("test")()
	var pr provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &pr)
	for name, a := range pr.Schema.Attributes {
		if s, ok := a.(pschema.StringAttribute); ok {
			check("provider."+name, s.MarkdownDescription, s.Validators)
		}
	}
	var walk func(where string, attrs map[string]rschema.Attribute)
	walk = func(where string, attrs map[string]rschema.Attribute) {
		for name, a := range attrs {
			switch n := a.(type) {
			case rschema.StringAttribute:
				check(where+"."+name, n.MarkdownDescription, n.Validators)
			case rschema.SingleNestedAttribute:
				walk(where+"."+name, n.Attributes)
			case rschema.ListNestedAttribute:
				walk(where+"."+name, n.NestedObject.Attributes)
			}
		}
	}
	eachResourceSchema(ctx, p, func(typeName string, sr resource.SchemaResponse) {
		walk(typeName, sr.Schema.Attributes)
	})
}

// eachResourceSchema calls f with the type name and the schema response of each of p's
// resources, in the order p lists them.
func eachResourceSchema(ctx context.Context, p provider.Provider, f func(typeName string, sr resource.SchemaResponse)) {
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var md resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "backflow"}, &md)
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		f(md.TypeName, sr)
	}
}

// TestScheduleConflictsDescribed: a schedule sets exactly one of every, cron and after, and each
// one's description names both others as conflicting (not only the one it was written beside).
func TestScheduleConflictsDescribed(t *testing.T) {
	var sr resource.SchemaResponse
	NewSyncResource().Schema(context.Background(), resource.SchemaRequest{}, &sr)
	sched := sr.Schema.Attributes["schedule"].(rschema.SingleNestedAttribute)
	kinds := []string{"every", "cron", "after"}
	for _, k := range kinds {
		desc := sched.Attributes[k].GetMarkdownDescription()
		_, conflicts, ok := strings.Cut(desc, "Conflicts with ")
		if !ok {
			t.Errorf("schedule.%s: no \"Conflicts with\" in %q", k, desc)
			continue
		}
		for _, other := range kinds {
			if other != k && !strings.Contains(conflicts, "`"+other+"`") {
				t.Errorf("schedule.%s: conflicts with %s, but its description says only %q", k, other, conflicts)
			}
		}
	}
}

// Content-Type is refused in headers, as the other headers the runner sets, but a request's
// content_type sets it: the refusal says so, where "cannot be configured" alone sent a user whose
// API wants application/vnd.api+json away. A connection's says what a request block does.
func TestHeadersValidatorContentTypeSaysContentType(t *testing.T) {
	for _, v := range []headersValidator{{request: true}, {}} {
		resp := &validator.MapResponse{}
		v.ValidateMap(context.Background(), validator.MapRequest{Path: path.Root("headers"),
			ConfigValue: types.MapValueMust(types.StringType, map[string]attr.Value{"content-type": types.StringValue("application/vnd.api+json")})}, resp)
		if len(resp.Diagnostics) != 1 || !strings.Contains(resp.Diagnostics[0].Detail(), "`content_type`") {
			t.Errorf("request %v: %v, want one error pointing to content_type", v.request, resp.Diagnostics)
		}
	}
	// The other headers the runner sets keep their message.
	resp := &validator.MapResponse{}
	headersValidator{request: true}.ValidateMap(context.Background(), validator.MapRequest{Path: path.Root("headers"),
		ConfigValue: types.MapValueMust(types.StringType, map[string]attr.Value{"Host": types.StringValue("h")})}, resp)
	if len(resp.Diagnostics) != 1 || strings.Contains(resp.Diagnostics[0].Detail(), "content_type") {
		t.Errorf("Host: %v, want one error, without content_type", resp.Diagnostics)
	}
}
