package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// The bench's rows for warehouses other than Postgres: the same users (made in Postgres by the
// one fixture, exported as CSV) loaded into MariaDB and written as a Parquet file that DuckDB
// reads, each timed against its own ceiling E_w measured in the same run: the warehouse's
// fastest plain export of the model (`mysql --quick -e MODEL > /dev/null`; DuckDB
// `COPY (MODEL) TO '/dev/null' (FORMAT csv)`). Targets (the design's): first run ≤ 1.5 × (E_w + D),
// nothing changed ≤ 1.5 × E_w, peak memory ≤ 200 MB.

// warehouseResult is one warehouse's rows of the bench.
type warehouseResult struct {
	Warehouse string   `json:"warehouse"`
	Server    string   `json:"server,omitempty"` // the server's version(), for MySQL and MariaDB
	Rows      int      `json:"rows"`
	Model     string   `json:"model"`
	EWSeconds float64  `json:"e_w_seconds"` // the warehouse's plain export of the model
	EWHow     string   `json:"e_w_how"`
	DSeconds  float64  `json:"d_seconds"`
	Cases     []result `json:"cases"`
}

// otherWarehouse is a warehouse the bench loads the users into.
type otherWarehouse struct {
	conn      *controlplane.Connection
	model     *controlplane.Model
	ceiling   func(ctx context.Context) (float64, error)
	how       string
	update1   func(ctx context.Context, k int) error // updates k users; nil: the warehouse is a file
	teardown  func()
	server    string // version(), for a server
	serverPID int    // the server's process on this machine, whose CPU is the warehouse's; 0: none
}

func runWarehouses(ctx context.Context, cfg config, hook string, n int) ([]warehouseResult, error) {
	if err := recreateDatabases(ctx, cfg.baseURL); err != nil {
		return nil, err
	}
	whURL, err := dbURL(cfg.baseURL, whDB)
	if err != nil {
		return nil, err
	}
	cpURL, err := dbURL(cfg.baseURL, cpDB)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := execAll(ctx, whURL, warehousetest.UsersSQL(n)...); err != nil {
		return nil, fmt.Errorf("generate users: %w", err)
	}
	csvPath := filepath.Join(cfg.workDir, "users.csv")
	if err := exportCSV(ctx, whURL, csvPath); err != nil {
		return nil, err
	}
	defer os.Remove(csvPath)
	logf("generated %d users and their CSV in %.1fs", n, time.Since(start).Seconds())

	var out []warehouseResult
	for _, name := range cfg.warehouses {
		var w *otherWarehouse
		switch name {
		case controlplane.KindMySQL:
			w, err = prepareMySQL(ctx, cfg, csvPath)
		case controlplane.KindDuckDB:
			w, err = prepareDuckDB(ctx, cfg, csvPath)
		default:
			err = fmt.Errorf("no bench for the warehouse %q (mysql, duckdb)", name)
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		wr, err := benchWarehouse(ctx, cfg, hook, cpURL, name, n, w)
		w.teardown()
		out = append(out, wr)
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
	}
	return out, nil
}

func exportCSV(ctx context.Context, whURL, path string) error {
	conn, err := pgx.Connect(ctx, whURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = conn.PgConn().CopyTo(ctx, f, "COPY public.users TO STDOUT (FORMAT csv)")
	return err
}

func prepareMySQL(ctx context.Context, cfg config, csvPath string) (*otherWarehouse, error) {
	admin, err := warehouse.ParseMySQLURL(cfg.mysqlURL)
	if err != nil {
		return nil, err
	}
	admin.MultiStatements = true
	admin.AllowAllFiles = true
	db, err := openMySQL(admin)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var server string
	var localInfile bool
	if err := db.QueryRowContext(ctx, "SELECT version(), @@local_infile").Scan(&server, &localInfile); err != nil {
		return nil, err
	}
	if !localInfile {
		// MySQL 8 and later ship with LOAD DATA LOCAL off; the bench's server is a test server.
		logf("%s: SET GLOBAL local_infile = 1, to load the users", server)
		if _, err := db.ExecContext(ctx, "SET GLOBAL local_infile = 1"); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	for _, s := range []string{
		"DROP DATABASE IF EXISTS " + mysqlBenchDB,
		"CREATE DATABASE " + mysqlBenchDB + " CHARACTER SET utf8mb4",
		"CREATE TABLE " + mysqlBenchDB + `.users (company varchar(255), company_domain varchar(255), created_at datetime,
			unique_id varchar(255) PRIMARY KEY, first_name varchar(255), full_name varchar(255), last_name varchar(255),
			role varchar(255), type varchar(255), user_id varchar(255), website varchar(255))`,
		"LOAD DATA LOCAL INFILE '" + csvPath + "' INTO TABLE " + mysqlBenchDB + `.users CHARACTER SET utf8mb4
			FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"'`,
		"ANALYZE TABLE " + mysqlBenchDB + ".users",
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("%.60s…: %w", s, err)
		}
	}
	logf("loaded the users into %s in %.1fs", server, time.Since(start).Seconds())
	u, err := url.Parse(cfg.mysqlURL)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + mysqlBenchDB
	whURL := u.String()
	m := &controlplane.Model{Name: "bench users (mysql)", Table: "users"}
	src := warehouse.NewMySQL(&controlplane.MySQLConfig{URL: whURL})
	query := src.TableQuery(m.Table)
	client, err := exec.LookPath("mariadb")
	if err != nil {
		if client, err = exec.LookPath("mysql"); err != nil {
			return nil, errors.New("no mariadb or mysql client for the ceiling E_w")
		}
	}
	host, port := admin.Addr, "3306"
	if h, p, ok := strings.Cut(admin.Addr, ":"); ok {
		host, port = h, p
	}
	// The server's CPU counts as the warehouse's when it runs on this machine.
	var serverPID int
	if p, err := strconv.Atoi(port); err == nil && (host == "127.0.0.1" || host == "localhost" || host == "::1") {
		serverPID = listenerPID(p)
	}
	if serverPID == 0 {
		logf("%s: its process was not found on this machine; the CPU splits leave it out", server)
	}
	ceiling := func(ctx context.Context) (float64, error) {
		cmd := exec.CommandContext(ctx, client, "--quick", "--protocol=tcp", "-h", host, "-P", port, "-u", admin.User,
			mysqlBenchDB, "-e", query)
		cmd.Env = append(os.Environ(), "MYSQL_PWD="+admin.Passwd)
		cmd.Stdout = io.Discard
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("%s --quick: %w: %s", client, err, stderr.String())
		}
		return time.Since(start).Seconds(), nil
	}
	update := func(ctx context.Context, k int) error {
		db, err := openMySQL(admin)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.ExecContext(ctx, "UPDATE "+mysqlBenchDB+".users SET role = CONCAT(role, ' (promoted)') ORDER BY user_id LIMIT "+strconv.Itoa(k))
		return err
	}
	return &otherWarehouse{
		conn:  &controlplane.Connection{Name: "bench mysql", MySQL: &controlplane.MySQLConfig{URL: whURL}},
		model: m, ceiling: ceiling, how: client + " --quick -e '" + query + "' > /dev/null", update1: update, server: server,
		serverPID: serverPID,
		teardown: func() {
			if cfg.keep {
				return
			}
			if db, err := openMySQL(admin); err == nil {
				_, _ = db.Exec("DROP DATABASE IF EXISTS " + mysqlBenchDB)
				db.Close()
			}
		},
	}, nil
}

func openMySQL(cfg *mysql.Config) (*sql.DB, error) {
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

func prepareDuckDB(ctx context.Context, cfg config, csvPath string) (*otherWarehouse, error) {
	parquet := filepath.Join(cfg.workDir, "users.parquet")
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	// In a child process, as the ceiling: see there.
	if out, err := exec.CommandContext(ctx, self, duckdbCopyArg, `COPY (SELECT * FROM read_csv('`+csvPath+`', header = false, columns = {
		'company': 'VARCHAR', 'company_domain': 'VARCHAR', 'created_at': 'TIMESTAMP', 'unique_id': 'VARCHAR',
		'first_name': 'VARCHAR', 'full_name': 'VARCHAR', 'last_name': 'VARCHAR', 'role': 'VARCHAR', 'type': 'VARCHAR',
		'user_id': 'VARCHAR', 'website': 'VARCHAR'})) TO '`+parquet+`' (FORMAT parquet)`).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("write the users as Parquet: %w: %s", err, out)
	}
	logf("wrote the users as Parquet in %.1fs", time.Since(start).Seconds())
	query := "select * from read_parquet('" + parquet + "')"
	// In a child process (this binary, duckdbCopyArg): DuckDB's memory in this process would
	// be inherited by every runner it starts afterwards, in the ru_maxrss the peaks are read from.
	ceiling := func(ctx context.Context) (float64, error) {
		self, err := os.Executable()
		if err != nil {
			return 0, err
		}
		cmd := exec.CommandContext(ctx, self, duckdbCopyArg, "COPY ("+query+") TO '/dev/null' (FORMAT csv)")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("%w: %s", err, stderr.String())
		}
		return time.Since(start).Seconds(), nil
	}
	return &otherWarehouse{
		conn:  &controlplane.Connection{Name: "bench duckdb", DuckDB: &controlplane.DuckDBConfig{Database: ":memory:"}},
		model: &controlplane.Model{Name: "bench users (duckdb)", SQL: query}, ceiling: ceiling,
		how: "DuckDB COPY (" + query + ") TO '/dev/null' (FORMAT csv)",
		teardown: func() {
			if !cfg.keep {
				_ = os.Remove(parquet)
			}
		},
	}, nil
}

func benchWarehouse(ctx context.Context, cfg config, hook, cpURL, name string, n int, w *otherWarehouse) (warehouseResult, error) {
	wr := warehouseResult{Warehouse: name, Server: w.server, Rows: n, Model: w.model.SQL, EWHow: w.how}
	if wr.Model == "" {
		wr.Model = "table " + w.model.Table
	}
	logf("--- %s, %d rows", name, n)
	// A control plane of its own for each warehouse.
	if err := recreateControlPlane(ctx, cfg.baseURL); err != nil {
		return wr, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	e := &env{cpURL: cpURL, key: base64.StdEncoding.EncodeToString(key), hook: hook, warehouse: name, serverPID: w.serverPID}
	if err := e.writeFile(cfg, name+"-"+strconv.Itoa(n)); err != nil {
		return wr, err
	}
	sealer, err := controlplane.ParseKey(e.key)
	if err != nil {
		return wr, err
	}
	store, err := controlplane.Open(ctx, cpURL, sealer)
	if err != nil {
		return wr, err
	}
	defer store.Close()
	if err := store.CreateConnection(ctx, w.conn); err != nil {
		return wr, err
	}
	dest := &controlplane.Connection{Name: "bench receiver", Webhook: &controlplane.WebhookConfig{URL: hook, Method: "POST"}}
	if err := store.CreateConnection(ctx, dest); err != nil {
		return wr, err
	}
	src, err := warehouse.For(w.conn)
	if err != nil {
		return wr, err
	}
	query := w.model.SQL
	if query == "" {
		query = src.TableQuery(w.model.Table)
	}
	w.model.ConnectionID = w.conn.ID
	if w.model.Columns, err = src.Describe(ctx, query); err != nil {
		return wr, err
	}
	if err := store.CreateModel(ctx, w.model); err != nil {
		return wr, err
	}
	y := &controlplane.Sync{Name: "bench users " + name, ModelID: w.model.ID, DestinationID: dest.ID,
		Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "unique_id", BatchSize: batchSize}
	if err := store.CreateSync(ctx, y); err != nil {
		return wr, err
	}
	e.model = w.model
	schema, table := src.SchemaAndTable(w.model.Table)
	e.meta = webhook.Meta{SyncRunAt: time.Now(), ConnectionName: dest.Name, ModelName: w.model.Name,
		SchemaName: schema, TableName: table, SyncID: y.ID, SyncName: y.Name}

	// Ceilings: E_w after one warm-up; D with a batch of this warehouse's own records.
	if _, err := w.ceiling(ctx); err != nil {
		return wr, fmt.Errorf("ceiling E_w: %w", err)
	}
	for range cfg.reps {
		s, err := w.ceiling(ctx)
		if err != nil {
			return wr, fmt.Errorf("ceiling E_w: %w", err)
		}
		wr.EWSeconds = minPositive(wr.EWSeconds, s)
	}
	// D's batch: the same users' records, read from the Postgres copy (reading them here from
	// DuckDB would put DuckDB's memory in this process, which every runner started afterwards
	// inherits in the ru_maxrss its peak is read from).
	pgWH, err := dbURL(cfg.baseURL, whDB)
	if err != nil {
		return wr, err
	}
	rows, err := warehouse.Open(ctx, &controlplane.PostgresConfig{URL: pgWH}, "SELECT * FROM public.users LIMIT "+strconv.Itoa(batchSize), "unique_id", nil)
	if err != nil {
		return wr, err
	}
	cols := make([]int, len(rows.Columns()))
	names := make([][]byte, len(cols))
	for i, c := range rows.Columns() {
		cols[i] = i
		names[i], _ = json.Marshal(c.Name)
	}
	var records [][]byte
	for rows.Next() {
		records = append(records, rows.AppendObject(nil, cols, names))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wr, err
	}
	body := e.meta.AppendEnvelope(nil, webhook.OpChanged, records)
	for range cfg.reps {
		d, err := ceilingD(ctx, hook, body, n)
		if err != nil {
			return wr, fmt.Errorf("ceiling D: %w", err)
		}
		wr.DSeconds = minPositive(wr.DSeconds, d)
	}
	logf("ceilings: E_w %.2fs (%s), D %.2fs", wr.EWSeconds, w.how, wr.DSeconds)

	onePct := n / 100
	type step struct {
		label            string
		before           func(rep int) error
		changed          int64
		ceiling          string
		ceilingS, target float64
	}
	clearLedger := func(rep int) error {
		if rep == 0 {
			return nil
		}
		return execAll(ctx, cpURL, "DELETE FROM backflow.sync_ledger", "DELETE FROM backflow.sync_ledger_pages",
			"VACUUM ANALYZE backflow.sync_ledger", "VACUUM ANALYZE backflow.sync_ledger_pages")
	}
	steps := []step{
		{label: "first run", before: clearLedger, changed: int64(n), ceiling: "E_w+D", ceilingS: wr.EWSeconds + wr.DSeconds, target: 1.5},
		{label: "nothing changed", ceiling: "E_w", ceilingS: wr.EWSeconds, target: 1.5},
	}
	if w.update1 != nil {
		steps = append(steps, step{label: "1% updated", changed: int64(onePct), ceiling: "E_w", ceilingS: wr.EWSeconds,
			before: func(int) error { return w.update1(ctx, onePct) }})
	}
	for _, s := range steps {
		r := result{Case: s.label, Rows: n, Ceiling: s.ceiling, CeilingS: s.ceilingS, Target: s.target}
		r, err := timedCase(ctx, cfg, e, n, r, y.Name, cfg.reps, s.before,
			func() (int64, int64, error) { return s.changed, 0, nil })
		wr.Cases = append(wr.Cases, r)
		if err != nil {
			return wr, err
		}
	}
	return wr, nil
}

func printWarehouses(w io.Writer, ws []warehouseResult) {
	for _, wr := range ws {
		name := wr.Warehouse
		if wr.Server != "" {
			name += " (" + wr.Server + ")"
		}
		fmt.Fprintf(w, "\n%s, %d rows (best of the samples) — ceilings: E_w %.2fs (%s), D %.2fs\n",
			name, wr.Rows, wr.EWSeconds, wr.EWHow, wr.DSeconds)
		fmt.Fprintf(w, "%-20s %9s %9s %8s %11s %-8s %6s %7s %8s  %s\n",
			"case", "rows", "changed", "seconds", "records/s", "ceiling", "ratio", "target", "peak MB", "")
		for _, r := range wr.Cases {
			mark := "ok"
			if !r.OK {
				mark = "MISS " + r.Note
			}
			target := "-"
			if r.Target > 0 {
				target = fmt.Sprintf("≤%.1f×", r.Target)
			}
			fmt.Fprintf(w, "%-20s %9d %9d %8.2f %11.0f %-8s %6.2f %7s %8.1f  %s\n",
				r.Case, r.Rows, r.SentChanged, r.Seconds, r.RecordsPerS, r.Ceiling, r.Ratio, target, r.PeakMB, mark)
		}
		if wr.Warehouse == controlplane.KindDuckDB {
			fmt.Fprintf(w, "(DuckDB runs inside the runner: its CPU is the runner's)\n")
		}
		printWhy(w, wr.Cases)
	}
}

func recreateControlPlane(ctx context.Context, base string) error {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, q := range []string{"DROP DATABASE IF EXISTS " + cpDB + " WITH (FORCE)", "CREATE DATABASE " + cpDB} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// duckdbCopyArg as the first argument makes benchctl run the DuckDB statement that follows and
// exit: DuckDB's ceiling, measured in a process of its own.
const duckdbCopyArg = "-duckdb-exec"

func duckdbExec(stmt string) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(stmt)
	return err
}
