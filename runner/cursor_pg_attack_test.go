package runner

import (
	"context"
	neturl "net/url"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestCursorAttackPostgres: cursors of Postgres's types whose order is not the obvious one, each
// run checked against a full read of the model (runCursorCase).
func TestCursorAttackPostgres(t *testing.T) {
	t.Parallel()
	w := conformanceWarehouseNamed(t, controlplane.KindPostgres)
	// The runner's sessions are in New York's time zone, whose clock goes back an hour at 2 AM
	// on 1 Nov 2026: 01:10 EST is after 01:50 EDT.
	nyDB := `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = ''America/New_York''', current_database()); END $$;`
	fold := []string{`INSERT INTO cur VALUES (3, 1, '2026-11-01 01:10:00-05')`,
		`UPDATE cur SET v = 2, c = '2026-11-01 01:10:00.5-05' WHERE id = 1`}
	cases := []cursorCase{
		{name: "timestamptz across a clock change", lookback: "0s", create: nyDB + `CREATE TABLE cur (id int, v int, c timestamptz);
			INSERT INTO cur VALUES (1, 1, '2026-11-01 01:20:00-04'), (2, 1, '2026-11-01 01:50:00-04')`, steps: fold},
		{name: "domain over timestamptz", lookback: "0s", create: nyDB + `CREATE DOMAIN ts AS timestamptz;
			CREATE TABLE cur (id int, v int, c ts);
			INSERT INTO cur VALUES (1, 1, '2026-11-01 01:20:00-04'), (2, 1, '2026-11-01 01:50:00-04')`, steps: fold},
		{name: "timestamp infinity", create: `CREATE TABLE cur (id int, v int, c timestamp);
			INSERT INTO cur VALUES (1, 1, '2020-01-01'), (2, 1, 'infinity'), (5, 1, '-infinity')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02')`, `UPDATE cur SET v = 2, c = 'infinity' WHERE id = 1`, `UPDATE cur SET v = 3 WHERE id = 2`}},
		{name: "timestamptz infinity", create: `CREATE TABLE cur (id int, v int, c timestamptz);
			INSERT INTO cur VALUES (1, 1, '2020-01-01'), (2, 1, 'infinity'), (5, 1, '-infinity')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02')`, `UPDATE cur SET v = 2, c = 'infinity' WHERE id = 1`, `UPDATE cur SET v = 3 WHERE id = 2`}},
		{name: "date infinity", create: `CREATE TABLE cur (id int, v int, c date);
			INSERT INTO cur VALUES (1, 1, '2020-01-01'), (2, 1, 'infinity')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02')`, `UPDATE cur SET v = 2, c = '2020-01-03' WHERE id = 1`}},
		{name: "year 10000 and BC", create: `CREATE TABLE cur (id int, v int, c timestamp);
			INSERT INTO cur VALUES (1, 1, '0044-03-15 12:00:00 BC'), (2, 1, '10000-01-01')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-02')`, `UPDATE cur SET v = 2, c = '2020-01-03' WHERE id = 1`}},
		// A char(n) is read padded with blanks, and compared without them: 'b' read after the
		// mark 'b\t' is before it compared.
		{name: "char(n) with a control character", create: `CREATE TABLE cur (id int, v int, c char(3));
			INSERT INTO cur VALUES (1, 1, E'b\t'), (2, 1, 'a')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 'b')`, `UPDATE cur SET v = 2 WHERE id = 3`}},
		{name: "char(n)", create: `CREATE TABLE cur (id int, v int, c char(5));
			INSERT INTO cur VALUES (1, 1, 'b'), (2, 1, 'a')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 'b')`, `UPDATE cur SET v = 2 WHERE id = 3`, `INSERT INTO cur VALUES (4, 1, 'b x')`}},
		// Postgres's one-byte "char" has no collation, and its bytes beyond ASCII are read as an
		// octal escape ("\351"), which sorts before the letters the byte is after.
		{name: `"char"`, create: `CREATE TABLE cur (id int, v int, c "char");
			INSERT INTO cur VALUES (1, 1, 'a'), (2, 1, 'b')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 'c')`, `UPDATE cur SET v = 2, c = 'd' WHERE id = 1`,
			`UPDATE cur SET v = 3, c = E'\\351' WHERE id = 2`, `UPDATE cur SET v = 3, c = E'\\352' WHERE id = 1`,
			`UPDATE cur SET v = 4, c = 'e' WHERE id = 3`}},
		{name: "timestamp(0) rounding", lookback: "0s", create: `CREATE TABLE cur (id int, v int, c timestamp(0));
			INSERT INTO cur VALUES (1, 1, '2020-01-01 00:00:00.4'), (2, 1, '2020-01-01 00:00:00.6')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, '2020-01-01 00:00:00.5')`, `UPDATE cur SET v = 2, c = '2020-01-01 00:00:01.4' WHERE id = 1`}},
		{name: "int8 edges and NULL", create: `CREATE TABLE cur (id int, v int, c int8);
			INSERT INTO cur VALUES (1, 1, -9223372036854775808), (2, 1, 9223372036854775806), (3, 1, NULL)`, steps: []string{
			`INSERT INTO cur VALUES (4, 1, 9223372036854775806)`, `UPDATE cur SET v = 2 WHERE id = 4`,
			`UPDATE cur SET v = 3, c = 9223372036854775807 WHERE id = 1`, `UPDATE cur SET v = 4 WHERE id = 3`,
			`UPDATE cur SET v = 5 WHERE id = 1`}},
		// COLLATE "C" overrides a nondeterministic collation, under which 'a' = 'A'.
		{name: "nondeterministic collation", create: `CREATE COLLATION IF NOT EXISTS ci_level2 (provider = icu,
				locale = 'und-u-ks-level2', deterministic = false);
			CREATE TABLE cur (id int, v int, c text COLLATE ci_level2);
			INSERT INTO cur VALUES (1, 1, 'A'), (2, 1, 'Z')`, steps: []string{
			`INSERT INTO cur VALUES (3, 1, 'a')`, `UPDATE cur SET v = 2, c = 'b' WHERE id = 1`, `UPDATE cur SET v = 3, c = 'z' WHERE id = 2`}},
		// Hundreds of rows at the mark's value, more than a batch, some arriving in a later run.
		{name: "ties at the mark across batches", lookback: "0s", create: `CREATE TABLE cur (id int, v int, c timestamptz(3));
			INSERT INTO cur SELECT g, 1, '2020-01-01 00:00:00.123+00' FROM generate_series(1, 250) g`, steps: []string{
			`INSERT INTO cur SELECT g, 1, '2020-01-01 00:00:00.123+00' FROM generate_series(251, 400) g`,
			`UPDATE cur SET v = 2 WHERE id % 7 = 0`, `UPDATE cur SET v = 3, c = '2020-01-01 00:00:00.1235+00' WHERE id % 5 = 0`}},
		{name: "far future and BC", create: `CREATE TABLE cur (id int, v int, c timestamp);
			INSERT INTO cur VALUES (1, 1, '9999-12-31 23:59:59.999999'), (2, 1, '2020-01-01'), (3, 1, '4713-01-01 BC')`, steps: []string{
			`INSERT INTO cur VALUES (4, 1, '2020-01-02')`, `UPDATE cur SET v = 2, c = '2020-01-03' WHERE id = 3`,
			`UPDATE cur SET v = 3, c = '2020-01-04' WHERE id = 1`}},
		{name: "date far future", create: `CREATE TABLE cur (id int, v int, c date);
			INSERT INTO cur VALUES (1, 1, '5874897-12-31'), (2, 1, '2020-01-01')`, steps: []string{
			`INSERT INTO cur VALUES (4, 1, '2020-01-02')`, `UPDATE cur SET v = 2, c = '2020-01-03' WHERE id = 1`}},
	}
	for _, cc := range cases {
		t.Run(cc.name, func(t *testing.T) {
			t.Parallel()
			runCursorCase(t, w, cc)
		})
	}
}

// TestCursorPostgresNotUTF8: a text cursor in a database whose encoding is not UTF-8 (WIN1252),
// where COLLATE "C" compares the encoding's bytes: '€' is 0x80 there, before 'ÿ' (0xFF), and
// after it in UTF-8, by which the mark is the highest value. A row whose cursor went from 'a' to
// '€' after the mark was 'ÿ' was above the mark and below the bound: it was never read again.
func TestCursorPostgresNotUTF8(t *testing.T) {
	t.Parallel()
	w := conformanceWarehouseNamed(t, controlplane.KindPostgres)
	for _, enc := range []string{"WIN1252", "LATIN9", "EUC_JP", "SQL_ASCII"} {
		t.Run(enc, func(t *testing.T) {
			t.Parallel()
			w := w
			w.open = func(t *testing.T) (*controlplane.Connection, func(string, ...any)) {
				url := controlplanetest.NewDatabaseEncoded(t, enc)
				u, err := neturl.Parse(url)
				if err != nil {
					t.Fatal(err)
				}
				q := u.Query()
				q.Set("client_encoding", "UTF8") // the database's by default
				u.RawQuery = q.Encode()
				pool := controlplanetest.Pool(t, u.String())
				return &controlplane.Connection{Name: "warehouse", Postgres: &controlplane.PostgresConfig{URL: url}},
					func(sql string, args ...any) {
						t.Helper()
						if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
							t.Fatalf("warehouse: %s: %v", sql, err)
						}
					}
			}
			// mark is read first, then high is written: higher in UTF-8, lower in the encoding.
			mark, high := "ÿ", "€" // WIN1252 and LATIN9: 0xFF and 0x80 or 0xA4
			if enc == "EUC_JP" {
				mark, high = "ア", "丂" // 0xA5A2 and JIS X 0212's 0x8FB0A1
			}
			runCursorCase(t, w, cursorCase{name: enc, create: `CREATE TABLE cur (id int, v int, c varchar(20));
				INSERT INTO cur VALUES (1, 1, 'a'), (2, 1, '` + mark + `')`, steps: []string{
				`INSERT INTO cur VALUES (3, 1, '` + high + `')`,
				`UPDATE cur SET v = 2, c = '` + high + `x' WHERE id = 1`,
				`UPDATE cur SET v = 3, c = '` + high + `y' WHERE id = 2; INSERT INTO cur VALUES (4, 1, '` + high + `x')`}})
		})
	}
}
