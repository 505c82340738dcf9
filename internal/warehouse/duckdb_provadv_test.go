//go:build cgo

package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// TestDuckDBSeveralStatementsRunNothing: a model of several statements is refused, at describe
// (plan time) and by a read, before any of them runs: the driver's PrepareContext ran every
// statement but the last, so "COPY ... TO; SELECT" wrote its file, "CREATE TABLE ...; SELECT"
// created a table in a database init_sql attached read-write, and "ATTACH ...; SELECT" created
// a database file, while the model was being described.
func TestDuckDBSeveralStatementsRunNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path, _ := warehousetest.NewDuckDBFile(t, "CREATE TABLE t AS SELECT 1 AS id")
	rw := filepath.Join(dir, "rw.duckdb")
	sources := map[string]*DuckDB{
		"file":   NewDuckDB(&controlplane.DuckDBConfig{Database: path}),
		"memory": NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: "ATTACH '" + rw + "' AS w"}),
	}
	ctx := context.Background()
	for name, src := range sources {
		out := filepath.Join(dir, name)
		for _, q := range []string{
			"copy (select 1 as id) to '" + out + ".csv'; select 1 as id",
			"export database '" + out + "-export'; select 1 as id",
			"attach '" + out + ".duckdb' as x; select 1 as id",
			"create table w.created as select 1 as id; select 1 as id",
			"checkpoint; select 1 as id",
			"select 1 as id; copy (select 1 as id) to '" + out + "-last.csv'",
			"select 1 as id;;select 2 as id",
			"select 1 as id /* x */ ; select 2 as id -- y",
		} {
			_, derr := src.Describe(ctx, q)
			r, oerr := src.Open(ctx, q, "id", nil)
			if oerr == nil {
				r.Close()
				oerr = errors.New("opened without an error")
			}
			for what, err := range map[string]error{"describe": derr, "read": oerr} {
				if !errors.Is(err, ErrNotReadOnly) || !strings.Contains(fmtErr(err), "statements separated by ';'") {
					t.Errorf("%s: %s of %q: %v, want ErrNotReadOnly saying it holds several statements", name, what, q, err)
				}
			}
		}
		for _, f := range []string{".csv", "-export", ".duckdb", "-last.csv"} {
			if _, err := os.Stat(out + f); err == nil {
				t.Errorf("%s: a model's statement wrote %s", name, filepath.Base(out+f))
			}
		}
	}
	w := NewDuckDB(&controlplane.DuckDBConfig{Database: rw})
	if _, err := w.Describe(ctx, "select * from created"); err == nil {
		t.Errorf("a model's CREATE TABLE ran in the database init_sql attached")
	}
	// A ';' in a string, a quoted name or a comment, or one at the end, is one statement.
	for _, q := range []string{"select ';' as id", `select 1 as "a;b", 1 as id`, "select 1 as id /* ; drop table t */",
		"select 1 as id -- ; drop table t", "select 1 as id;", "select 1 as id ; ;"} {
		if _, err := sources["file"].Describe(ctx, q); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
	if _, err := sources["file"].Describe(ctx, " ; -- nothing"); !errors.Is(err, ErrNotReadOnly) {
		t.Errorf("a model of no statement: %v, want ErrNotReadOnly", err)
	}
}

// TestDuckDBStatementKindNamed: a model that is one statement other than a SELECT is refused
// naming its kind (it said "type 25" for ATTACH, "type 27" for a PIVOT without IN (...), which
// DuckDB makes two statements of), and a PIVOT with IN (...) is a query like any other.
func TestDuckDBStatementKindNamed(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	ctx := context.Background()
	for q, kind := range map[string]string{
		"attach ':memory:' as x":           "ATTACH",
		"detach x":                         "DETACH",
		"copy (select 1 as id) to 'x.csv'": "COPY",
		"export database 'x'":              "EXPORT DATABASE",
		"set threads = 2":                  "SET",
		"use memory":                       "USE",
		"call pragma_version()":            "CALL",
		"checkpoint":                       "CHECKPOINT",
		"install httpfs":                   "INSTALL",
		"load httpfs":                      "LOAD",
		"vacuum":                           "VACUUM",
		"begin":                            "BEGIN",
		"prepare p as select 1 as id":      "PREPARE",
		"select 1 as id, * from (pivot (select 1 a, 'x' b) on b using sum(a))": "PIVOT ... ON col IN",
	} {
		_, err := src.Describe(ctx, q)
		if !errors.Is(err, ErrNotReadOnly) || !strings.Contains(fmtErr(err), kind) || strings.Contains(fmtErr(err), "(type ") {
			t.Errorf("%q: %v, want ErrNotReadOnly naming %s", q, err, kind)
		}
	}
	if _, err := src.Describe(ctx, "select 1 as id, * from (pivot (select 1 a, 'x' b) on b in ('x', 'y') using sum(a))"); err != nil {
		t.Errorf("a PIVOT with IN (...): %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestDuckDBModelFunctionsThatWriteOrReadSecrets: a model may not call a function that writes
// (checkpoint() of a database init_sql attached read-write, nextval), runs SQL text Backflow
// cannot check (query), or reads a credential (current_setting of one, duckdb_settings(),
// getenv), wherever the call is: a CTE, a subquery, a join, a function's argument. Each is
// refused at describe (plan time) and by a read, naming the function; a mention in a string, a
// quoted name or a comment is not a call. Before, they were all read: a run of
// "select nextval('w.s') as id" advanced the attached database's sequence (setval('w.s', 100)
// set it, and dbgen(sf = 0, catalog = 'w') created its TPC-H tables, until 6 Dec 2026), and
// "select value as id from duckdb_settings()" sent every setting's value.
func TestDuckDBModelFunctionsThatWriteOrReadSecrets(t *testing.T) {
	t.Parallel()
	rw := filepath.Join(t.TempDir(), "rw.duckdb")
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:",
		InitSQL: "ATTACH '" + rw + "' AS w; CREATE SEQUENCE IF NOT EXISTS w.s"})
	ctx := context.Background()
	for q, fn := range map[string]string{
		"select 1 as id from checkpoint('w')":                                                               "checkpoint",
		"select 1 as id from (select * from force_checkpoint('w'))":                                         "force_checkpoint",
		"with x as (select nextval('w.s') as id) select * from x":                                           "nextval",
		"select * from query('select 1 as id')":                                                             "query",
		"select 1 as id from dbgen(sf = 0, catalog = 'w')":                                                  "dbgen",
		"select setval('w.s', 100) as id":                                                                   "setval",
		"select 1 as id from (select 1) t, dsdgen(sf = 0, catalog = 'w', overwrite = true)":                 "dsdgen",
		"select 1 as id where 1 in (select 1 from QUERY('select 2'))":                                       "query",
		"select current_setting('s3_secret_access_key') as id":                                              "current_setting",
		"select current_setting('motherduck_token') as id":                                                  "current_setting",
		"select current_setting(lower('S3_SECRET_ACCESS_KEY')) as id":                                       "current_setting",
		"select name as id, value from duckdb_settings()":                                                   "duckdb_settings",
		"select 1 as id from range(1) r join duckdb_settings() s on true":                                   "duckdb_settings",
		"select coalesce(null, (select max(value) from duckdb_settings())) as id":                           "duckdb_settings",
		"select 1 as id from (select 1) t(x) where exists (select nextval('w.s'))":                          "nextval",
		"select 1 as id from range(1) where length(current_setting('azure_storage_connection_string')) > 0": "current_setting",
		"select 1 as id from ducklake_cleanup_old_files('lake', cleanup_all => true)":                       "ducklake_cleanup_old_files",
		"select 1 as id from (select * from ducklake_expire_snapshots('lake', older_than => now()))":        "ducklake_expire_snapshots",
		"select getvariable('s3_token') as id":                                                              "getvariable",
		"select getvariable(concat('api_', 'key')) as id":                                                   "getvariable",
		"select * from enable_logging(storage_path := 'logs')":                                              "enable_logging",
		"select * from enable_profiling(save_location := 'profile.json')":                                   "enable_profiling",
		"select * from truncate_duckdb_logs()":                                                              "truncate_duckdb_logs",
		"select name as id from duckdb_secrets()":                                                           "duckdb_secrets",
		"select name as id, value from duckdb_variables()":                                                  "duckdb_variables",
		"select database_name as id, path from duckdb_databases()":                                          "duckdb_databases",
		"select name as id from which_secret('s3://bucket/x.parquet', 's3')":                                "which_secret",
		// DuckDB's views over them, and SHOW VARIABLES, read the same: pg_settings sent
		// http_proxy_password's value, pragma_database_list an attached database's path.
		"select name as id, setting from pg_settings":                         "duckdb_settings",
		"select name as id, setting from system.pg_catalog.\"PG_SETTINGS\"":   "duckdb_settings",
		"select database_name as id, path from duckdb_databases":              "duckdb_databases",
		"select name as id, file from pragma_database_list":                   "duckdb_databases",
		"select column_name as id, max from (summarize pragma_database_list)": "duckdb_databases",
		"select 1 as id where exists (select * from pg_catalog.pg_settings)":  "duckdb_settings",
		"select name as id, value from (show variables)":                      "duckdb_variables",
		"select name as id, value from (SHOW \"Variables\")":                  "duckdb_variables",
		// query_table reads a view named as text as naming it does.
		"select name as id, setting from query_table('pg_settings')":               "duckdb_settings",
		"select path as id from query_table(['system.main.\"DUCKDB_DATABASES\"'])": "duckdb_databases",
		"select 1 as id from query_table(concat('pg_', 'settings'))":               "query_table",
		// A view's or a macro's SQL, init_sql's among them, may hold the connection string it wrote.
		"select view_name as id, sql from duckdb_views()":                        "duckdb_views",
		"select viewname as id, definition from pg_views":                        "duckdb_views",
		"select table_name as id, view_definition from information_schema.views": "duckdb_views",
		"select table_name as id from query_table('information_schema.views')":   "duckdb_views",
		"select function_name as id, macro_definition from duckdb_functions()":   "duckdb_functions",
		"select proname as id, prosqlbody from pg_catalog.pg_proc":               "duckdb_functions",
		"select view_name as id, sql from duckdb_views":                          "duckdb_views",
		// A built-in macro over duckdb_views(): a view's SQL by its oid, pg_class's.
		"select pg_get_viewdef(oid) as id from pg_class": "pg_get_viewdef",
	} {
		_, derr := src.Describe(ctx, q)
		r, oerr := src.Open(ctx, q, "id", nil)
		if oerr == nil {
			for r.Next() {
			}
			oerr = r.Err()
			r.Close()
			if oerr == nil {
				oerr = errors.New("read without an error")
			}
		}
		for what, err := range map[string]error{"describe": derr, "read": oerr} {
			if !errors.Is(err, ErrNotReadOnly) || !strings.Contains(err.Error(), fn) {
				t.Errorf("%s of %q: %v, want ErrNotReadOnly naming %s", what, q, err, fn)
			}
		}
	}
	for _, q := range []string{
		"select 'checkpoint()' as id, \"nextval(1)\" from (select 1 as \"nextval(1)\") -- getenv('x')",
		"select current_setting('threads')::varchar as id",
		"select getvariable('since') as id",
		"select 1 as id /* duckdb_settings() */",
		"select * from query_table('w.s') limit 0",
		"select * from query_table(['w.s', 'w.s']) limit 0",
		"select database_name as id from (show databases)",
		"select name as id from (show tables)",
		"select database_name as id from pg_database",
		// A table of the model's own named views is not information_schema's.
		"select 1 as id from (select 1 as x) views",
	} {
		if _, err := src.Describe(ctx, q); errors.Is(err, ErrNotReadOnly) {
			t.Errorf("%q: %v", q, err)
		}
	}
}

// TestDuckDBFileWithParametersReadOnly: a database file is opened read-only whatever parameters
// its database carries: with any (?threads=1), or an access_mode of its own in any spelling, it
// was opened read-write, so init_sql wrote to it (and DuckDB's write lock kept its writers out
// while a model was read).
func TestDuckDBFileWithParametersReadOnly(t *testing.T) {
	t.Parallel()
	path, _ := warehousetest.NewDuckDBFile(t, "CREATE TABLE t AS SELECT 1 AS id")
	ctx := context.Background()
	for _, p := range []string{"?threads=1", "?access_mode=read_write", "?ACCESS_MODE=automatic", "?access%5Fmode=read_write",
		"?threads=1&access_mode=read_write&", "?"} {
		w := NewDuckDB(&controlplane.DuckDBConfig{Database: path + p, InitSQL: "INSERT INTO t VALUES (2)"})
		if err := w.Ping(ctx); err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("%s: init_sql writing to the file: %v, want it refused as read-only", p, err)
		}
		if _, err := NewDuckDB(&controlplane.DuckDBConfig{Database: path + p}).Describe(ctx, "select * from t"); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	objs, _ := readMySQL(t, NewDuckDB(&controlplane.DuckDBConfig{Database: path}), "select * from t", "id")
	if len(objs) != 1 {
		t.Errorf("the file changed: %v", objs)
	}
}

// TestDuckDBInitSQLErrorHidesItInAnyCase: a credential of init_sql is hidden from its errors in
// whatever case DuckDB prints it: DuckDB folds an unquoted name to lower case, and a function may
// change a literal's ("Could not convert string 'ABCSECRET12'" showed upper('abcsecret12')).
func TestDuckDBInitSQLErrorHidesItInAnyCase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, init := range []string{"SELECT upper('abcsecret12')::INT", "SELECT lower('ABCSECRET12')::INT",
		"SELECT AbcSecret12 FROM range(1)", "SET threads = AbcSecret12"} {
		err := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: init}).Ping(ctx)
		if err == nil {
			t.Errorf("init_sql %q: no error", init)
		} else if strings.Contains(strings.ToLower(err.Error()), "abcsecret12") {
			t.Errorf("init_sql %q: the error shows it: %v", init, err)
		}
	}
}

// TestDuckDBRefusedViewsAreEveryView: every view DuckDB defines itself (duckdb_views()'s
// internal ones) that calls a function a model may not call is refused as that function is
// (duckRefusedViews): a new DuckDB that adds one fails here rather than letting a model read a
// credential through it.
func TestDuckDBRefusedViewsAreEveryView(t *testing.T) {
	t.Parallel()
	// Read through init_sql: a model may not call duckdb_views() (it lists init_sql's own views).
	objs, _ := readMySQL(t, NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:",
		InitSQL: "create temp table internal_views as select view_name, lower(sql) as sql from duckdb_views() where internal"}),
		"select view_name as id, sql from internal_views", "id")
	if len(objs) == 0 {
		t.Fatal("no internal views")
	}
	for _, obj := range objs {
		var o struct{ ID, SQL string }
		if err := json.Unmarshal([]byte(obj), &o); err != nil {
			t.Fatal(err)
		}
		name, sql := o.ID, o.SQL
		// pg_database selects only duckdb_databases()'s names, as SHOW DATABASES does.
		if name == "pg_database" && !strings.Contains(sql, "path") {
			continue
		}
		// pg_class and pg_description name views and carry their comments, not their SQL.
		if (name == "pg_class" || name == "pg_description") && !strings.Contains(sql, `"sql"`) {
			continue
		}
		if name == "views" {
			name = "information_schema.views"
		}
		for fn := range duckRefused {
			if strings.Contains(sql, fn+"(") && duckRefusedViews[name] == "" && duckRefusedSchemaViews[name] == "" {
				t.Errorf("the view %s calls %s(), and a model may read it: %s", name, fn, sql)
			}
		}
	}
}

// TestDuckDBRefusedMacrosAreEveryMacro: a built-in macro is SQL over other functions, which a
// model's parse names only as the macro: every one that calls a function of duckRefused is in
// duckRefused itself (duckdb_logs_parsed read the log, init_sql's CREATE SECRET in it, and
// pg_get_viewdef a view's SQL, until 6 Dec 2026).
func TestDuckDBRefusedMacrosAreEveryMacro(t *testing.T) {
	t.Parallel()
	objs, _ := readMySQL(t, NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:",
		InitSQL: "create temp table internal_macros as select distinct function_name, lower(macro_definition) as sql " +
			"from duckdb_functions() where internal and function_type in ('macro', 'table_macro')"}),
		"select function_name as id, sql from internal_macros", "id")
	if len(objs) == 0 {
		t.Fatal("no internal macros")
	}
	for _, obj := range objs {
		var o struct{ ID, SQL string }
		if err := json.Unmarshal([]byte(obj), &o); err != nil {
			t.Fatal(err)
		}
		// It selects only the profiling settings' names and values from duckdb_settings().
		if o.ID == "duckdb_profiling_settings" {
			continue
		}
		for fn := range duckRefused {
			// A call of fn, not of a name that ends as it does (current_query's "query(").
			if regexp.MustCompile(`(^|[^a-z0-9_])`+fn+`\(`).MatchString(o.SQL) && duckRefused[o.ID] == "" {
				t.Errorf("the macro %s calls %s(), and a model may call it: %s", o.ID, fn, o.SQL)
			}
		}
	}
}

// TestDuckDBModelReadsNoLog: once init_sql turns DuckDB's log on (CALL enable_logging(), to
// debug an S3 read), the log holds init_sql's own statements, a CREATE SECRET's key among them:
// "select message from duckdb_logs" sent it. duckdb_logs, as a view or a function, or through
// query_table, is refused as duckdb_secrets() is.
func TestDuckDBModelReadsNoLog(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:",
		InitSQL: "CALL enable_logging(level = 'debug'); CREATE SECRET s (TYPE http, BEARER_TOKEN 'tok-6c1f'); SELECT 1"})
	ctx := context.Background()
	for _, q := range []string{
		"select message as id from duckdb_logs",
		"select message as id from duckdb_logs()",
		"select message as id from system.main.duckdb_logs",
		"select message as id from query_table('duckdb_logs')",
		"select string_agg(message, ' ') as id from (select * from duckdb_logs where type = 'QueryLog')",
		// A built-in table macro over duckdb_logs.
		"select message as id from duckdb_logs_parsed('QueryLog')",
	} {
		_, derr := src.Describe(ctx, q)
		r, oerr := src.Open(ctx, q, "id", nil)
		if oerr == nil {
			for r.Next() {
				if v := string(r.AppendValue(nil, 0)); strings.Contains(v, "tok-6c1f") {
					t.Errorf("a read of %q sent init_sql's secret: %s", q, v)
				}
			}
			oerr = r.Err()
			r.Close()
			if oerr == nil {
				oerr = errors.New("read without an error")
			}
		}
		for what, err := range map[string]error{"describe": derr, "read": oerr} {
			if !errors.Is(err, ErrNotReadOnly) || !strings.Contains(err.Error(), "duckdb_logs") {
				t.Errorf("%s of %q: %v, want ErrNotReadOnly naming duckdb_logs", what, q, err)
			}
		}
	}
}
