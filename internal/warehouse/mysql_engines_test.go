package warehouse

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// TestMySQLTablesWithoutTransactions: the tables of engines without transactions a model reads,
// wherever it reads them (a join, a subquery, a merged view, a derived table, a CTE, a UNION),
// and none for a model of InnoDB tables (through a view too), a SEQUENCE, information_schema or
// no table.
func TestMySQLTablesWithoutTransactions(t *testing.T) {
	t.Parallel()
	url, conn := warehousetest.NewMySQLDatabase(t)
	src := NewMySQL(&controlplane.MySQLConfig{URL: url})
	mariaDB := newMySQLIsMariaDB(t, src)
	setup := `CREATE TABLE inno (id int PRIMARY KEY, v int) ENGINE=InnoDB;
		CREATE TABLE isam (id int PRIMARY KEY, v int) ENGINE=MyISAM;
		CREATE TABLE mem (id int PRIMARY KEY, v int) ENGINE=MEMORY;
		INSERT INTO inno VALUES (1, 1), (2, 2); INSERT INTO isam VALUES (1, 1), (2, 2); INSERT INTO mem VALUES (1, 1), (2, 2);
		CREATE VIEW over_inno AS SELECT id, v FROM inno;`
	aria := "isam" // MySQL has no Aria, no SEQUENCE
	if mariaDB {
		aria = "aria"
		setup += `CREATE TABLE aria (id int PRIMARY KEY, v int) ENGINE=Aria; INSERT INTO aria VALUES (1, 1), (2, 2);
		CREATE SEQUENCE seq;
		CREATE TABLE versioned (id int PRIMARY KEY, v int) ENGINE=MyISAM WITH SYSTEM VERSIONING; INSERT INTO versioned VALUES (1, 1), (2, 2);`
	}
	if _, err := conn.Exec(setup + "CREATE VIEW over_aria AS SELECT id, v FROM " + aria); err != nil {
		t.Fatal(err)
	}
	ariaWant := "db.aria (Aria)"
	if !mariaDB {
		ariaWant = "db.isam (MyISAM)"
	}
	db, _ := src.SchemaAndTable("x")
	for _, c := range []struct {
		sql  string
		want []string
	}{
		{"select id, v from inno", nil},
		{"select * from over_inno", nil},
		{"select id from isam", []string{"db.isam (MyISAM)"}},
		{"select i.id, s.v from inno i join isam s on s.id = i.id", []string{"db.isam (MyISAM)"}},
		{"select i.id, s.v from inno i, " + db + ".isam s where s.id = i.id", []string{"db.isam (MyISAM)"}},
		{"select id, (select max(v) from mem) as m from inno", []string{"db.mem (MEMORY)"}},
		{"select id from inno where id in (select id from mem)", []string{"db.mem (MEMORY)"}},
		{"select id, v from over_aria", []string{ariaWant}},
		{"select d.id from (select id from isam where v > 0) d", []string{"db.isam (MyISAM)"}},
		{"with c as (select id from mem) select c.id, i.v from c join inno i on i.id = c.id", []string{"db.mem (MEMORY)"}},
		{"select id from inno union all select id from mem union select id from isam",
			[]string{"db.isam (MyISAM)", "db.mem (MEMORY)"}},
		{"select id, s.v from inno i left join isam s using (id)", []string{"db.isam (MyISAM)"}},
		{"select id from isam; -- done", []string{"db.isam (MyISAM)"}},
		{"\ufeffselect id from isam;\n/* done */", []string{"db.isam (MyISAM)"}},
		{"select 1 as id", nil},
		{"select table_name as id from information_schema.tables where table_schema = 'x'", nil},
	} {
		got, err := TablesWithoutTransactions(context.Background(), src, c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		for i := range got {
			got[i] = strings.Replace(got[i], db+".", "db.", 1)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.sql, diff)
		}
	}
	// MySQL's EXPLAIN (of the model as a derived table) reads the statement as every read does,
	// without its end: on MariaDB too, which takes that EXPLAIN (and gives no note for it).
	c, err := src.connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	c.mariadb = false
	if _, _, err := c.explainNote(context.Background(), "select id from isam; -- done"); err != nil {
		t.Errorf("MySQL's EXPLAIN of a model ending \"; -- done\": %v", err)
	}
	if mariaDB { // a system-versioned table (not a 'BASE TABLE' in information_schema) of MyISAM
		got, err := TablesWithoutTransactions(context.Background(), src, "select id, v from versioned")
		if want := []string{db + ".versioned (MyISAM)"}; err != nil || !cmp.Equal(got, want) {
			t.Errorf("system-versioned MyISAM table: %v, %v; want %v", got, err, want)
		}
	}
	if mariaDB { // a SEQUENCE's engine has transactions
		if got, err := TablesWithoutTransactions(context.Background(), src, "select previous value for seq as k, id from inno"); got != nil || err != nil {
			t.Errorf("sequence: %v, %v", got, err)
		}
	}
	// Another warehouse: none.
	if got, err := TablesWithoutTransactions(context.Background(),
		&valuesHidden{Source: &Postgres{cfg: &controlplane.PostgresConfig{}}, hide: func(e error) error { return e }}, "select 1"); got != nil || err != nil {
		t.Errorf("postgres: %v, %v", got, err)
	}
	// A lock the model takes is refused, as by every read.
	if _, err := TablesWithoutTransactions(context.Background(), src, "select id from isam lock in share mode"); err == nil {
		t.Error("lock in share mode: no error")
	}
}
