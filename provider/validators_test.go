package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// These run with plain `go test`: no TF_ACC, no Postgres.

func TestParseCron(t *testing.T) {
	for _, expr := range []string{"0 * * * *", "*/15 * * * *", "30 6 * * 1-5", "0 0 1 1 *", "@hourly", "@daily"} {
		if _, err := ParseCron(expr); err != nil {
			t.Errorf("ParseCron(%q) = %v, want ok", expr, err)
		}
	}
	for _, expr := range []string{"", "61 * * * *", "0 * * *", "0 0 * * * *", "TZ=UTC 0 * * * *",
		"CRON_TZ=Europe/Paris 0 * * * *", "every hour", "@every 5m0x"} {
		if _, err := ParseCron(expr); err == nil {
			t.Errorf("ParseCron(%q) = ok, want an error", expr)
		}
	}
	// @every would bypass MinEvery; schedules that never fire would never run.
	for expr, want := range map[string]string{
		"@every 1s": "use schedule.every", "@every 1h": "use schedule.every", " @every 5m": "use schedule.every",
		"0 0 31 2 *": "never fires", "0 0 30 2 *": "never fires", "0 0 31 4,6,9,11 *": "never fires",
	} {
		_, err := ParseCron(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCron(%q) = %v, want an error containing %q", expr, err, want)
		}
	}
}

func TestParseEvery(t *testing.T) {
	for _, s := range []string{"1m", "15m", "1h30m", "24h", "60s"} {
		if _, err := ParseEvery(s); err != nil {
			t.Errorf("ParseEvery(%q) = %v, want ok", s, err)
		}
	}
	for s, want := range map[string]string{
		"30s": "shorter than the minimum", "59s": "shorter than the minimum", "0": "shorter than the minimum",
		"-5m": "shorter than the minimum", "often": "not a duration", "": "not a duration", "15": "not a duration",
	} {
		_, err := ParseEvery(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseEvery(%q) = %v, want an error containing %q", s, err, want)
		}
	}
}

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
		{"cron unknown", cronValidator{}, types.StringUnknown(), nil},
		{"every ok", everyValidator{}, types.StringValue("1m"), nil},
		{"every short", everyValidator{}, types.StringValue("59s"), []string{"Invalid Schedule Interval"}},
		{"every bad", everyValidator{}, types.StringValue("1 minute"), []string{"Invalid Schedule Interval"}},
		{"every unknown", everyValidator{}, types.StringUnknown(), nil},
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
		return types.ObjectValueMust(mappingAttrTypes, map[string]attr.Value{"from": from, "constant": constant, "to": to})
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
	for _, f := range p.Resources(ctx) {
		r := f()
		var md resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "backflow"}, &md)
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		if sr.Diagnostics.HasError() {
			t.Fatalf("%s schema: %v", md.TypeName, sr.Diagnostics)
		}
		if sr.Schema.MarkdownDescription == "" {
			t.Errorf("%s has no MarkdownDescription", md.TypeName)
		}
		checkDescribed(t, md.TypeName, sr.Schema.Attributes)
		if md.TypeName == "backflow_sync" {
			desc := sr.Schema.Attributes["behavior"].GetMarkdownDescription()
			for _, b := range controlplane.Behaviors {
				if !strings.Contains(desc, "`"+b+"`") {
					t.Errorf("behavior description does not mention %s: %s", b, desc)
				}
			}
		}
	}
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
