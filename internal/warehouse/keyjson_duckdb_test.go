//go:build cgo

package warehouse

import "testing"

// TestKeyJSONHelpers' rows for DuckDB, whose driver is in cgo builds only.
func TestDuckDBKeyJSONHelpers(t *testing.T) {
	t.Parallel()
	checkKeyJSON(t, []keyJSONCase{
		{(&DuckDB{}).KeyJSON(col("date")), "0044-03-15 (BC)", `"-000043-03-15"`},
		{(&DuckDB{}).KeyJSON(col("date")), "12345-01-01", `"+012345-01-01"`},
		{(&DuckDB{}).KeyJSON(col("timestamp_s")), "0044-03-15 (BC) 12:00:00", `"-000043-03-15 12:00:00"`},
		{(&DuckDB{}).KeyJSON(col("timestamp_ms")), "12345-01-01 00:00:00.25", `"+012345-01-01 00:00:00.25"`},
		{(&DuckDB{}).KeyJSON(col("date")), "0001-01-01 (BC)", `"0000-01-01"`},
		{(&DuckDB{}).KeyJSON(col("date")), "2020-01-01", `"2020-01-01"`},
		{(&DuckDB{}).KeyJSON(col("timestamp_ns")), "0044-03-15 (BC) 12:00:00.5", `"-000043-03-15 12:00:00.5"`},
		{(&DuckDB{}).KeyJSON(col("timestamptz")), "0044-03-15 (BC) 12:00:00+00", `"-000043-03-15T12:00:00Z"`},
		{(&DuckDB{}).KeyJSON(col("timestamptz")), "12345-01-02 03:04:05.5+00", `"+012345-01-02T03:04:05.5Z"`},
		{(&DuckDB{}).KeyJSON(col("bignum")), "-123456789012345678901234567890", `-123456789012345678901234567890`},
		{(&DuckDB{}).KeyJSON(col("blob")), `\xFF\x00\x5Cab\x22`, `"/wBcYWIi"`},
		{(&DuckDB{}).KeyJSON(col("json")), `[1, 2]`, `[1, 2]`},
		{(&DuckDB{}).KeyJSON(col("double")), "0.0", `0`},
		{(&DuckDB{}).KeyJSON(col("double")), "-inf", `"-Infinity"`},
		{(&DuckDB{}).KeyJSON(col("double")), "nan", `"NaN"`},
		{(&DuckDB{}).KeyJSON(col("float")), "0.1", `0.1`},
	})
}
