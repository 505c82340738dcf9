package runner

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"slices"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// advMySQL is the conformance suite's MySQL warehouse in a database of its own, adv_my_<random>,
// dropped at cleanup; its exec runs each call's statements on one session (multiple statements).
func advMySQL(t *testing.T) conformanceWarehouse {
	i := slices.IndexFunc(conformanceWarehouses, func(w conformanceWarehouse) bool { return w.name == controlplane.KindMySQL })
	w := conformanceWarehouses[i]
	w.open = func(t *testing.T) (*controlplane.Connection, func(string, ...any)) {
		open := func(db string) *sql.DB {
			cfg, err := warehouse.ParseMySQLURL(warehousetest.MySQLAdminURL())
			if err != nil {
				t.Fatal(err)
			}
			cfg.DBName, cfg.MultiStatements = db, true
			c, err := mysql.NewConnector(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return sql.OpenDB(c)
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		name := "adv_my_" + hex.EncodeToString(b)
		admin := open("")
		defer admin.Close()
		if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
			t.Fatal(err)
		}
		db := open(name)
		t.Cleanup(func() {
			_ = db.Close()
			admin := open("")
			defer admin.Close()
			if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
				t.Errorf("drop %s: %v", name, err)
			}
		})
		u, _ := url.Parse(warehousetest.MySQLAdminURL())
		u.Path = "/" + name
		return &controlplane.Connection{Name: "warehouse", MySQL: &controlplane.MySQLConfig{URL: u.String()}},
			func(sql string, args ...any) {
				t.Helper()
				if _, err := db.Exec(sql, args...); err != nil {
					t.Fatalf("warehouse: %s: %v", sql, err)
				}
			}
	}
	return w
}

// TestMySQLKeysNotUTF8Run: a mirror sync over keys whose text is not UTF-8 (a surrogate's bytes
// in MariaDB's utf8mb4, binary bytes that are not UTF-8) succeeds, sends the other keys, and
// counts those rows invalid; a later run with nothing changed sends nothing. Such a key's text
// went to the ledger, which refused it.
func TestMySQLKeysNotUTF8Run(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ table, want string }{
		{`SET SESSION sql_mode = ''; CREATE TABLE k (id varchar(10) CHARACTER SET utf8mb4, v int);
		INSERT INTO k VALUES ('a', 1), (0xEDA080, 2), ('b', 3)`, "surrogate"},
		{`CREATE TABLE k (id varbinary(10), v int); INSERT INTO k VALUES ('a', 1), (0xFF, 2), ('b', 3)`, "binary"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			c := newConformance(t, advMySQL(t))
			c.exec(tc.table)
			c.model("select id, v from k", "id", controlplane.BehaviorMirror, 10)
			run, _ := c.run(controlplane.RunSucceeded)
			got := c.sent("id")
			if tc.want == "binary" {
				if diff := cmp.Diff([]string{`changed "YQ=="`, `changed "Yg=="`}, got); diff != "" {
					t.Errorf("first run (-want +got):\n%s", diff)
				}
			} else if diff := cmp.Diff([]string{`changed "a"`, `changed "b"`}, got); diff != "" {
				t.Errorf("first run (-want +got):\n%s", diff)
			}
			if run.Counts.Invalid != 1 {
				t.Errorf("first run counts %+v: want 1 invalid", run.Counts)
			}
			c.run(controlplane.RunSucceeded)
			if got := c.sent("id"); len(got) != 0 {
				t.Errorf("a run with nothing changed sent %v", got)
			}
		})
	}
}
