package runner

import (
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// The sample record plan-time checks render templates against holds what a run's records hold:
// the mapped fields with a value of their column's type, and the metadata fields.
func TestSampleRecord(t *testing.T) {
	cols := []controlplane.Column{{Name: "id", Type: "int8"}, {Name: "email", Type: "text"}, {Name: "at", Type: "timestamptz"}}
	y := &controlplane.Sync{PrimaryKey: "id", Mappings: []controlplane.Mapping{
		{From: "id", To: "id"}, {From: "email", To: "email"}, {From: "at", To: "at"},
		{Metadata: controlplane.MetadataSyncRunID, To: "run"}, {Metadata: controlplane.MetadataOperation, To: "op"},
	}}
	rec, del, err := SampleRecord(cols, y)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":42,"email":"sample email","at":"2024-01-02T03:04:05Z","run":1,"op":"new"}`; string(rec) != want {
		t.Errorf("record %s, want %s", rec, want)
	}
	if want := `{"id":42,"run":1,"op":"deleted"}`; string(del) != want {
		t.Errorf("deleted %s, want %s", del, want)
	}
}

// The sample delete names its key as the sample record carries it, whatever the key's type, as a
// run's delete names it as its upserts did (a driver's KeyJSON).
func TestSampleRecordDeletedKey(t *testing.T) {
	for typ, want := range map[string]string{
		"timestamptz": `"2024-01-02T03:04:05Z"`, "bool": `true`, "jsonb": `{"sample":"value"}`,
		"numeric": `12.5`, "text": `"sample id"`, "_int4": `["sample"]`,
	} {
		cols := []controlplane.Column{{Name: "id", Type: typ}, {Name: "v", Type: "int4"}}
		_, del, err := SampleRecord(cols, &controlplane.Sync{PrimaryKey: "id"})
		if err != nil {
			t.Fatal(err)
		}
		if w := `{"id":` + want + `}`; string(del) != w {
			t.Errorf("%s key: deleted %s, want %s", typ, del, w)
		}
	}
}

// A sample value is of the JSON type a run sends for the column, so that a template the plan
// passes for the sample renders the same kind of text at run time. Types whose name holds "int"
// without being integers (interval, ranges, point) were sampled as 42, which a run never sends
// for them (an interval is "1 year 2 mons ..."): `{"d": {{ record.d }}}` passed the plan and
// was invalid JSON for every record at run. MySQL's TINYINT(1) is sent as a boolean, YEAR as a
// number, and DATETIME without a zone ("2019-12-08 14:19:52").
func TestSampleValueIsWhatARunSends(t *testing.T) {
	for typ, want := range map[string]string{
		"interval": `"sample v"`, "int4range": `"sample v"`, "int8range": `"sample v"`, "tstzrange": `"sample v"`,
		"point": `"sample v"`, "tinyint(1)": `true`, "year": `2024`, "datetime": `"2024-01-02 03:04:05"`,
		"int4": `42`, "bigint unsigned": `42`, "hugeint": `42`, "tinyint": `42`, "timestamptz": `"2024-01-02T03:04:05Z"`,
	} {
		cols := []controlplane.Column{{Name: "id", Type: "int8"}, {Name: "v", Type: typ}}
		rec, _, err := SampleRecord(cols, &controlplane.Sync{PrimaryKey: "id"})
		if err != nil {
			t.Fatal(err)
		}
		if w := `{"id":42,"v":` + want + `}`; string(rec) != w {
			t.Errorf("%s: sample %s, want %s", typ, rec, w)
		}
	}
}

// A `timestamp` column is sent without a zone by Postgres and DuckDB ("2019-12-08 14:19:52") and
// in RFC 3339 by MySQL, whose TIMESTAMP is in UTC: the sample follows the model's warehouse, so
// that test_on_save sends what runs send (an endpoint that checks for RFC 3339 passed the test and
// refused every record of a Postgres timestamp column).
func TestSampleTimestampFollowsTheWarehouse(t *testing.T) {
	for _, tc := range []struct{ kind, typ, want string }{
		{controlplane.KindPostgres, "timestamp", `"2024-01-02 03:04:05"`},
		{controlplane.KindDuckDB, "timestamp", `"2024-01-02 03:04:05"`},
		{controlplane.KindDuckDB, "timestamp_ns", `"2024-01-02 03:04:05"`},
		{controlplane.KindMySQL, "timestamp", `"2024-01-02T03:04:05Z"`},
		{controlplane.KindPostgres, "timestamptz", `"2024-01-02T03:04:05Z"`},
		{controlplane.KindDuckDB, "timestamp with time zone", `"2024-01-02T03:04:05Z"`},
		{"", "timestamp", `"2024-01-02T03:04:05Z"`},
	} {
		cols := []controlplane.Column{{Name: "id", Type: "int8"}, {Name: "v", Type: tc.typ}}
		rec, _, err := SampleRecordOf(tc.kind, cols, &controlplane.Sync{PrimaryKey: "id"})
		if err != nil {
			t.Fatal(err)
		}
		if w := `{"id":42,"v":` + tc.want + `}`; string(rec) != w {
			t.Errorf("%s %s: sample %s, want %s", tc.kind, tc.typ, rec, w)
		}
	}
}

// A JSON-shaped column's sample value (a list of them for a list: `[` SampleObject `]`) reaches the plan's checks as webhook.SampleObject exactly,
// mapped or not, whatever the warehouse: the strict checks read inside that value as anyValue
// (webhook's TestPlanReadsIntoAJSONColumn), and only if the bytes are the same.
func TestSampleJSONColumnIsSampleObject(t *testing.T) {
	for _, kind := range []string{"", controlplane.KindPostgres, controlplane.KindMySQL, controlplane.KindDuckDB} {
		for _, typ := range []string{"jsonb", "json", "JSON", "STRUCT(a INTEGER)", "MAP(VARCHAR, INTEGER)", "_jsonb", "jsonb[]",
			"STRUCT(a INTEGER)[]", "STRUCT(a INTEGER[])[3]"} {
			cols := []controlplane.Column{{Name: "id", Type: "int8"}, {Name: "payload", Type: typ}}
			for _, y := range []*controlplane.Sync{{PrimaryKey: "id"}, {PrimaryKey: "id", Mappings: []controlplane.Mapping{
				{From: "id", To: "id"}, {From: "payload", To: "properties"}}}} {
				rec, _, err := SampleRecordOf(kind, cols, y)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(rec), `:`+webhook.SampleObject) && !strings.Contains(string(rec), `:[`+webhook.SampleObject+`]`) {
					t.Errorf("%s %s: sample %s does not hold %s", kind, typ, rec, webhook.SampleObject)
				}
			}
		}
	}
}

// A DuckDB STRUCT or MAP holds its fields' types in its name, and an ARRAY its size: each is
// sampled as what a run sends (an object, a list), not as the number an "integer" in the name
// suggested (STRUCT(a INTEGER) was sampled as 42, so {{ record.s.a | json }} was refused at plan).
func TestSampleCompositeTypes(t *testing.T) {
	for typ, want := range map[string]string{
		"STRUCT(a INTEGER)": webhook.SampleObject, "MAP(VARCHAR, BIGINT)": webhook.SampleObject,
		"INTEGER[]": `["sample"]`, "INTEGER[3]": `["sample"]`, "_int4": `["sample"]`, "text[]": `["sample"]`,
		"STRUCT(a INTEGER)[]": "[" + webhook.SampleObject + "]", "_jsonb": "[" + webhook.SampleObject + "]",
		"integer": "42", "jsonb": webhook.SampleObject,
	} {
		if got := string(sampleValue(controlplane.KindDuckDB, controlplane.Column{Name: "c", Type: typ})); got != want {
			t.Errorf("%s: sample %s, want %s", typ, got, want)
		}
	}
}
