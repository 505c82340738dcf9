package runner

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

// conformCursor: a cursor of each kind (a time, an integer, a text) narrows the read in the
// warehouse: the second run reads only the rows at or after the mark (and the NULL cursors),
// sends the one whose cursor moved and not the one changed without moving it, and no delete; a
// full read then sends what the cursor missed and the delete.
func conformCursor(t *testing.T, w conformanceWarehouse) {
	for _, col := range []string{"ts", "n", "s"} {
		t.Run(col, func(t *testing.T) {
			c := newConformance(t, w)
			c.exec(w.cursors)
			c.model("select * from cur", "id", controlplane.BehaviorMirror, 2)
			c.describe()
			c.sync.Cursor = col
			if err := c.store.UpdateSync(c.ctx, c.sync); err != nil {
				t.Fatal(err)
			}
			run, _ := c.run(controlplane.RunSucceeded)
			if diff := cmp.Diff([]string{"changed 1", "changed 2", "changed 3", "changed 4", "changed 5"}, c.sent("id")); diff != "" {
				t.Errorf("first run (-want +got):\n%s", diff)
			}
			if run.ReadMode != controlplane.ReadFull {
				t.Errorf("first run read %q, want full", run.ReadMode)
			}
			c.exec(`UPDATE cur SET v = 2, ts = '2021-01-01 00:00:00', n = 100, s = 'b' WHERE id = 2`)
			c.exec(`UPDATE cur SET v = 2 WHERE id = 1`) // its cursor did not move
			c.exec(`DELETE FROM cur WHERE id = 3`)
			run, _ = c.run(controlplane.RunSucceeded)
			if diff := cmp.Diff([]string{"changed 2"}, c.sent("id")); diff != "" {
				t.Errorf("incremental run (-want +got):\n%s", diff)
			}
			// Read: 2 (moved), 4 (at the mark, or within the lookback), 5 (NULL cursor).
			if run.ReadMode != controlplane.ReadIncremental || run.Counts.Extracted != 3 || run.Counts.Changed != 1 {
				t.Errorf("incremental run: read %q from %q, counts %+v; want incremental, 3 extracted, 1 changed",
					run.ReadMode, run.ReadFrom, run.Counts)
			}
			want := map[string]string{"ts": "2020-01-03 23:55:00", "n": "40", "s": "a04"}[col]
			if run.ReadFrom != want {
				t.Errorf("incremental read from %q, want %q", run.ReadFrom, want)
			}
			expireFullRead(t, c.store, c.sync.ID)
			run, _ = c.run(controlplane.RunSucceeded)
			if diff := cmp.Diff([]string{"changed 1", "deleted 3"}, c.sent("id")); diff != "" {
				t.Errorf("full read (-want +got):\n%s", diff)
			}
			if run.ReadMode != controlplane.ReadFull {
				t.Errorf("third run read %q, want full", run.ReadMode)
			}
		})
	}
	if w.name == controlplane.KindPostgres {
		return
	}
	// Text that Postgres's cannot hold, as the highest text cursor: the run succeeds and the
	// mark is the text before the NUL, from which the next run reads that row again.
	t.Run("s with a NUL", func(t *testing.T) {
		c := newConformance(t, w)
		c.exec(w.cursors)
		c.exec(`INSERT INTO cur (id, v, s) VALUES (6, 1, ?)`, "a05\x00z")
		c.model("select * from cur", "id", controlplane.BehaviorUpdateOrCreate, 2)
		c.describe()
		c.sync.Cursor = "s"
		if err := c.store.UpdateSync(c.ctx, c.sync); err != nil {
			t.Fatal(err)
		}
		first, _ := c.run(controlplane.RunSucceeded)
		if got := len(c.sent("id")); got != 6 {
			t.Errorf("first run sent %d records, want 6", got)
		}
		// Its end and its mark are recorded (a mark with the NUL kept the end from being stored).
		if stored, err := c.store.GetRun(c.ctx, first.ID); err != nil || stored.Status != controlplane.RunSucceeded {
			t.Errorf("stored first run: %+v, %v; want succeeded", stored, err)
		}
		run, _ := c.run(controlplane.RunSucceeded)
		// Read: 6 (at the mark "a05"), 5 (NULL cursor); nothing sent.
		if run.ReadMode != controlplane.ReadIncremental || run.ReadFrom != "a05" || run.Counts.Extracted != 2 || len(c.sent("id")) != 0 {
			t.Errorf("second run: read %q from %q, counts %+v; want incremental from \"a05\", 2 extracted, nothing sent",
				run.ReadMode, run.ReadFrom, run.Counts)
		}
	})
}

// describe stores the sync's model's columns as the provider would (the cursor's kind comes
// from them).
func (c *conformance) describe() {
	c.t.Helper()
	m, err := c.store.GetModel(c.ctx, c.sync.ModelID)
	if err != nil {
		c.t.Fatal(err)
	}
	src, err := warehouse.For(c.wc)
	if err != nil {
		c.t.Fatal(err)
	}
	query := m.SQL
	if query == "" {
		query = src.TableQuery(m.Table)
	}
	if m.Columns, err = src.Describe(c.ctx, query); err != nil {
		c.t.Fatal(err)
	}
	if err := c.store.UpdateModel(c.ctx, m); err != nil {
		c.t.Fatal(err)
	}
}

// futureCursors creates fut(id, v, tz, lt, d) in each warehouse: tz a time with a time zone
// (MySQL's TIMESTAMP, whose range ends in 2038), lt one without, of whole seconds (where a bound
// with a fraction would be rounded), d a date; row 3's values are in the future.
var futureCursors = map[string]string{
	controlplane.KindPostgres: `CREATE TABLE fut (id bigint, v int, tz timestamptz, lt timestamp(0), d date);
		INSERT INTO fut VALUES (1, 1, '2020-01-01 00:00:00+00', '2020-01-01 00:00:00', '2020-01-01'),
		(2, 1, '2020-01-02 00:00:00+00', '2020-01-02 00:00:00', '2020-01-02'),
		(3, 1, '2037-12-31 00:00:00+00', '2999-01-01 00:00:00', '2999-01-01')`,
	controlplane.KindMySQL: `CREATE TABLE fut (id bigint, v int, tz timestamp NULL, lt datetime, d date);
		INSERT INTO fut VALUES (1, 1, '2020-01-01 00:00:00', '2020-01-01 00:00:00', '2020-01-01'),
		(2, 1, '2020-01-02 00:00:00', '2020-01-02 00:00:00', '2020-01-02'),
		(3, 1, '2037-12-31 00:00:00', '2999-01-01 00:00:00', '2999-01-01')`,
	controlplane.KindDuckDB: `CREATE TABLE fut (id BIGINT, v INT, tz TIMESTAMPTZ, lt TIMESTAMP_S, d DATE);
		INSERT INTO fut VALUES (1, 1, '2020-01-01 00:00:00+00', '2020-01-01 00:00:00', '2020-01-01'),
		(2, 1, '2020-01-02 00:00:00+00', '2020-01-02 00:00:00', '2020-01-02'),
		(3, 1, '2037-12-31 00:00:00+00', '2999-01-01 00:00:00', '2999-01-01')`,
}

// conformCursorInTheFuture: a row whose time or date cursor is in the future is left out of the
// mark (above the first run's start for a time with a time zone, 14 hours after it for one
// without, that date for a date), so the next incremental read reads from row 2's value and
// finds row 2 changed after the first run (written in UTC); it reads row 3 again and does not
// send it. A model whose every cursor is in the future has as its mark the earliest value a row
// written after the run's start can have (the start for a time with a time zone, 12 hours before
// it for one without, that date for a date): the warehouse compares the bound below it with the
// column as the mark says (whole seconds, in UTC).
func conformCursorInTheFuture(t *testing.T, w conformanceWarehouse) {
	now := map[string]string{controlplane.KindPostgres: "now()", controlplane.KindMySQL: "NOW()", controlplane.KindDuckDB: "now()"}[w.name]
	for _, col := range []string{"tz", "lt", "d"} {
		t.Run(col, func(t *testing.T) {
			c := newConformance(t, w)
			c.exec(futureCursors[w.name])
			c.model("select * from fut", "id", controlplane.BehaviorUpdateOrCreate, 2)
			c.describe()
			c.sync.Cursor = col
			if err := c.store.UpdateSync(c.ctx, c.sync); err != nil {
				t.Fatal(err)
			}
			c.run(controlplane.RunSucceeded)
			c.sent("id")
			utc := time.Now().UTC()
			value := map[string]string{"tz": now, "lt": utc.Format("'2006-01-02 15:04:05'"), "d": utc.Format("'2006-01-02'")}[col]
			c.exec(fmt.Sprintf(`UPDATE fut SET v = 2, %s = %s WHERE id = 2`, col, value))
			run, _ := c.run(controlplane.RunSucceeded)
			// Read: 2 and 3 (and 1 for the date: the lookback rounds the bound down to its day).
			from, rows := "2020-01-01 23:55:00", int64(2)
			if col == "d" {
				from, rows = "2020-01-01", 3
			}
			if diff := cmp.Diff([]string{"changed 2"}, c.sent("id")); diff != "" || run.ReadMode != controlplane.ReadIncremental ||
				run.ReadFrom != from || run.Counts.Extracted != rows {
				t.Errorf("the run after one that read a cursor in the future read %q from %q (%d rows), sent (-want +got):\n%s"+
					"want incremental from %q, %d rows", run.ReadMode, run.ReadFrom, run.Counts.Extracted, diff, from, rows)
			}

			// Only row 3, in the future: the mark is the earliest value a row written after the
			// run's start can have (markFloor).
			c.model("select * from fut where id = 3", "id", controlplane.BehaviorUpdateOrCreate, 2)
			c.describe()
			c.sync.Cursor = col
			if err := c.store.UpdateSync(c.ctx, c.sync); err != nil {
				t.Fatal(err)
			}
			first, _ := c.run(controlplane.RunSucceeded)
			c.sent("id")
			start := first.StartedAt.UTC().Truncate(time.Second)
			from = map[string]string{
				"tz": start.Add(-5 * time.Minute).Format("2006-01-02 15:04:05"),
				"lt": start.Add(-12*time.Hour - 5*time.Minute).Format("2006-01-02 15:04:05"),
				"d":  start.Add(-12*time.Hour).AddDate(0, 0, -1).Format("2006-01-02"),
			}[col]
			run, _ = c.run(controlplane.RunSucceeded)
			if run.ReadMode != controlplane.ReadIncremental || run.ReadFrom != from || run.Counts.Extracted != 1 || len(c.sent("id")) != 0 {
				t.Errorf("the run after one that read only a cursor in the future read %q from %q (%d rows); "+
					"want incremental from %q, row 3 read again and not sent", run.ReadMode, run.ReadFrom, run.Counts.Extracted, from)
			}
		})
	}
}

// conformCursorTypes: a cursor sync of a model of every value type the warehouse has (its types
// table, read as a table and as SQL; on Postgres also an enum, a domain, varchar(n), numeric(p,s),
// an array of an enum and a composite type), described as the provider describes it, reads
// incrementally on its second run: the types a run reads are those described, so an unchanged
// model is not read in full at every run (openPlanned, columnsChanged).
func conformCursorTypes(t *testing.T, w conformanceWarehouse) {
	table := "types"
	setup := w.types
	if w.name == controlplane.KindPostgres {
		table = "rich"
		setup += `;
			CREATE TYPE mood AS ENUM ('sad', 'ok');
			CREATE DOMAIN posint AS int CHECK (VALUE > 0);
			CREATE TYPE pair AS (a int, b text);
			CREATE TABLE rich AS SELECT t.*, 'ok'::mood AS mo, 5::posint AS po, 'x'::varchar(10) AS vc,
				1.25::numeric(10,2) AS np, '{sad,ok}'::mood[] AS ma, ROW(1, 'x')::pair AS pa,
				'10.0.0.1'::inet AS ip, '1 day'::interval AS iv, 'a'::char(3) AS ch, '{"a":1}'::json AS js,
				'a:1'::tsvector AS tv, int4range(1, 5) AS rg, '<a/>'::xml AS x, B'101'::bit(3) AS bi,
				12::oid AS o, 'abc'::name AS nm, 1::money AS mn
			FROM types AS t`
	}
	for _, m := range []controlplane.Model{{Table: table}, {SQL: "select * from " + table}} {
		t.Run(fmt.Sprintf("table %q sql %q", m.Table, m.SQL), func(t *testing.T) {
			c := newConformance(t, w)
			c.exec(setup)
			c.modelOf(&m, "id", controlplane.BehaviorUpdateOrCreate, 10)
			c.describe()
			c.sync.Cursor = "id"
			if err := c.store.UpdateSync(c.ctx, c.sync); err != nil {
				t.Fatal(err)
			}
			if run, _ := c.run(controlplane.RunSucceeded); run.ReadMode != controlplane.ReadFull {
				t.Errorf("first run read %q, want full", run.ReadMode)
			}
			if run, _ := c.run(controlplane.RunSucceeded); run.ReadMode != controlplane.ReadIncremental {
				t.Errorf("second run of an unchanged model read %q, want incremental", run.ReadMode)
			}
		})
	}
}
