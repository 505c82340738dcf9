// Command benchctl measures the runner against the design's performance targets (`make bench`,
// through scripts/bench.sh). For each size it recreates a warehouse of users shaped like the
// Census guide's, a control plane with two syncs to the bench receiver, measures the ceilings
// (E: COPY the model out; D: post the same volume of pre-encoded batches with a bare HTTP loop)
// and times `backflow-runner sync` for a first run, a run with nothing changed, a run with 1%
// updated, and a mirror run with 1% deleted (then cursor.go's cases), each judged against the
// design's target (see judge), with the runner's CPU per record, and for a case over its target
// where the CPU went and the runner's profile (cpu.go). Each case runs -repeat times
// (default 3) and each ceiling is measured as many times; the best of each counts, so another
// process's burst on a shared machine does not decide a ratio (every sample is in results.json).
// It prints a table and writes results.json.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// The bench's databases: BENCH_DB_PREFIX (default backflow_bench) names them, so two benches on
// one server (two checkouts, say) do not drop each other's databases.
var (
	dbPrefix     = envOr("BENCH_DB_PREFIX", "backflow_bench")
	cpDB         = dbPrefix + "_cp"
	whDB         = dbPrefix + "_wh"
	mysqlBenchDB = dbPrefix + "_wh"
)

const (
	batchSize   = 1000
	concurrency = 4 // the runner's default delivery concurrency
	upsertSync  = "bench users upsert"
	mirrorSync  = "bench users mirror"
	// The request cases (docs/destinations.md): a templated body per batch, and a request per
	// record at recordConcurrency requests in flight.
	templatedSync     = "bench users templated batch"
	reshapedSync      = "bench users reshaped batch"
	recordSync        = "bench users record mode"
	recordConcurrency = 16
	// templatedBody sends the records as they are, in a body of the API's own shape (the bulk
	// example of docs/destinations.md); reshapedBody reshapes each record in a Liquid loop. The
	// receiver counts the objects in "data" as it does the envelope's.
	templatedBody = `{"operation":"changed","sync":{{ sync.name | json }},"run":{{ run.id }},"data":{{ records | json }}}`
	reshapedBody  = `{"operation":"changed","sync":{{ sync.name | json }},"data":[{% for r in records %}` +
		`{"id":{{ r.unique_id | json }},"fields":{{ r | json }}}{% unless forloop.last %},{% endunless %}{% endfor %}]}`
	recordBody = `{"operation":"changed","data":[{{ record | json }}]}`
	defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

type config struct {
	sizes    []int
	runner   string
	receiver string
	// receiverPID is the process of the receiver the bench started, whose CPU cpu.go reads; 0
	// for one it did not (BENCH_RECEIVER_URL).
	receiverPID int
	out         string
	baseURL     string
	workDir     string
	keep        bool
	reps        int
	// The other warehouses' rows (warehouses.go): which, how many users, the MySQL server.
	warehouses    []string
	warehouseRows int
	mysqlURL      string
	pacing        bool // the pacing cases (pacing.go)
	// cases, when set (BENCH_CASES), selects the Postgres cases to run: a case runs when one of
	// these is a prefix of its name ("cursor" selects the cursor cases, "delivery log" its cost).
	cases []string
}

// runs reports whether the case named label is selected (BENCH_CASES).
func (c *config) runs(label string) bool {
	if len(c.cases) == 0 {
		return true
	}
	for _, p := range c.cases {
		if strings.HasPrefix(label, p) {
			return true
		}
	}
	return false
}

type machine struct {
	Cores           int    `json:"cores"`
	MemoryMB        int64  `json:"memory_mb"`
	PostgresVersion string `json:"postgres_version"`
	GoOS            string `json:"goos"`
	GoArch          string `json:"goarch"`
}

type ceilings struct {
	ESeconds       float64 `json:"e_seconds"`       // COPY (model) TO STDOUT into io.Discard
	DSeconds       float64 `json:"d_seconds"`       // every record, pre-encoded batches, bare HTTP loop
	D1PctSeconds   float64 `json:"d_1pct_seconds"`  // the same for 1% of the records
	BatchBytes     int     `json:"batch_bytes"`     // size of one pre-encoded batch of 1000
	DRecordsPerSec float64 `json:"d_records_per_s"` // for reference
	ERowsPerSec    float64 `json:"e_rows_per_s"`    // for reference
}

type result struct {
	Case        string    `json:"case"`
	Rows        int       `json:"rows"`
	SentChanged int64     `json:"sent_changed"`
	SentDeleted int64     `json:"sent_deleted"`
	Seconds     float64   `json:"seconds"`       // the best of the samples
	Samples     []float64 `json:"samples"`       // every timed run
	RecordsPerS float64   `json:"records_per_s"` // model rows processed per second
	Ceiling     string    `json:"ceiling"`       // which ceiling the ratio is against
	CeilingS    float64   `json:"ceiling_seconds"`
	Ratio       float64   `json:"ratio"`        // seconds / ceiling_seconds
	Target      float64   `json:"target_ratio"` // the design's bound on ratio (0: none)
	// TargetSeconds is the design's bound in seconds (target_ratio × ceiling_seconds): for a
	// case with 1% changed it is 1.3 × E + 2 × D(1%), so its target_ratio (against E) is
	// computed from the ceilings.
	TargetSeconds float64 `json:"target_seconds,omitempty"`
	PeakMB        float64 `json:"peak_mb"`
	// The runner's CPU time (user + sys of its process, from the kernel's rusage) per model row
	// read, in core-µs: the least of the samples (CPU time is less disturbed by other load than
	// wall time, but not immune), with every sample's CPU seconds.
	CPUUsPerRecord float64   `json:"cpu_us_per_record,omitempty"`
	CPUSamples     []float64 `json:"cpu_seconds_samples,omitempty"`
	CPUTarget      float64   `json:"cpu_target_us_per_record,omitempty"` // the design's bound (0: none)
	// CPU is where the CPU of the fastest sample went (cpu.go); ProfileTop the top entries of the
	// runner's CPU profile on the last sample, for a case over its target.
	CPU        cpuSplit `json:"cpu_seconds"`
	ProfileTop []string `json:"profile_top,omitempty"`
	OK         bool     `json:"ok"`
	Note       string   `json:"note,omitempty"`
}

// The design's targets (docs: DESIGN's "Performance targets"): a first run within 1.3 × (E + D)
// with at most 1 core-µs of runner CPU per record; nothing changed within 1.3 × E; 1% changed
// within 1.3 × E + 2 × D(1%); at most 200 MB of memory.
const (
	targetFactor    = 1.3
	targetCPU       = 1.0 // core-µs per record, on first runs
	targetPeakMB    = 200
	changedDFactor  = 2.0 // × D(1%) on top of targetFactor × E for a run with 1% changed
	requestCasesMax = 1000000
)

// changedTarget is the target ratio, against E, of a run with 1% changed: (1.3 × E + 2 × D(1%)) / E.
func changedTarget(c ceilings) float64 {
	return (targetFactor*c.ESeconds + changedDFactor*c.D1PctSeconds) / c.ESeconds
}

// judge sets r's ratio, CPU per record and verdict from its samples: its best time against the
// design's bound (Target × CeilingS), its CPU per record against CPUTarget, its peak memory
// against 200 MB.
func judge(r *result) {
	r.RecordsPerS = float64(r.Rows) / r.Seconds
	r.Ratio = r.Seconds / r.CeilingS
	r.TargetSeconds = r.Target * r.CeilingS
	if len(r.CPUSamples) > 0 && r.Rows > 0 {
		r.CPUUsPerRecord = slices.Min(r.CPUSamples) * 1e6 / float64(r.Rows)
	}
	var over []string
	if r.Target != 0 && r.Ratio > r.Target {
		over = append(over, "over target")
	}
	if r.CPUTarget != 0 && r.CPUUsPerRecord > r.CPUTarget {
		over = append(over, fmt.Sprintf("CPU over %g core-µs per record", r.CPUTarget))
	}
	if r.PeakMB > targetPeakMB {
		over = append(over, "over 200 MB")
	}
	r.OK = len(over) == 0
	if !r.OK {
		r.Note = strings.Join(over, ", ")
	}
}

type sizeResult struct {
	Rows     int      `json:"rows"`
	Repeat   int      `json:"repeat"` // timed runs per case; seconds is the best of them
	Ceilings ceilings `json:"ceilings"`
	Cases    []result `json:"cases"`
	// DeliveryLog: the log's cost, measured at the largest size (cursor.go).
	DeliveryLog *deliveryLogCost `json:"delivery_log,omitempty"`
}

type report struct {
	GeneratedAt time.Time         `json:"generated_at"`
	Machine     machine           `json:"machine"`
	BatchSize   int               `json:"batch_size"`
	Concurrency int               `json:"concurrency"`
	Sizes       []sizeResult      `json:"sizes"`
	Warehouses  []warehouseResult `json:"warehouses,omitempty"`
	Pacing      []pacingResult    `json:"pacing,omitempty"` // pacing.go
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == duckdbCopyArg {
		if err := duckdbExec(os.Args[2]); err != nil {
			fatalf("%v", err)
		}
		return
	}
	var cfg config
	sizes := flag.String("rows", envOr("BENCH_ROWS", "100000,1000000"), "comma- or space-separated row counts to run")
	flag.StringVar(&cfg.runner, "runner", "bin/backflow-runner", "the backflow-runner binary to time")
	flag.StringVar(&cfg.receiver, "receiver", "", "the bench receiver binary (bench/receiver)")
	flag.StringVar(&cfg.out, "out", "bench/results.json", "where to write the results")
	flag.StringVar(&cfg.workDir, "work", os.TempDir(), "directory for logs")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the bench databases afterwards")
	flag.IntVar(&cfg.reps, "repeat", 3, "timed runs per case (and measurements per ceiling); the best counts")
	whs := flag.String("warehouses", envOr("BENCH_WAREHOUSES", "mysql,duckdb"), "other warehouses to bench after Postgres (mysql, duckdb; empty: none)")
	flag.IntVar(&cfg.warehouseRows, "warehouse-rows", 1000000, "users for the other warehouses' rows")
	flag.BoolVar(&cfg.pacing, "pacing", envOr("BENCH_PACING", "1") == "1", "run the pacing cases (BENCH_PACING=0: not)")
	cases := flag.String("cases", os.Getenv("BENCH_CASES"), "comma-separated prefixes of the Postgres cases to run (default: all)")
	flag.StringVar(&cfg.mysqlURL, "mysql-url", envOr("BACKFLOW_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/"), "a MySQL or MariaDB server the bench may create a database on")
	flag.Parse()
	cfg.warehouses = strings.FieldsFunc(*whs, func(r rune) bool { return r == ',' || r == ' ' })
	for _, c := range strings.Split(*cases, ",") {
		if c = strings.TrimSpace(c); c != "" {
			cfg.cases = append(cfg.cases, c)
		}
	}
	cfg.baseURL = envOr(controlplane.DatabaseURLEnv, defaultURL)
	for _, f := range strings.FieldsFunc(*sizes, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1000 {
			fatalf("BENCH_ROWS: %q is not a row count of at least 1000", f)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	if cfg.reps < 1 {
		fatalf("-repeat must be at least 1")
	}
	if cfg.receiver == "" {
		fatalf("-receiver is required")
	}
	if err := run(context.Background(), cfg); err != nil {
		fatalf("%v", err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...)
	os.Exit(1)
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...)
}

func dbURL(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", errors.New("BACKFLOW_DATABASE_URL is not a valid URL")
	}
	u.Path = "/" + name
	return u.String(), nil
}

func run(ctx context.Context, cfg config) error {
	rep := report{GeneratedAt: time.Now().UTC(), BatchSize: batchSize, Concurrency: concurrency}
	var err error
	rep.Machine, err = describeMachine(ctx, cfg.baseURL)
	if err != nil {
		return err
	}
	// BENCH_RECEIVER_URL: a receiver already running (to keep using it with the kept databases).
	hook := os.Getenv("BENCH_RECEIVER_URL")
	if hook == "" {
		var stop func()
		var err error
		if hook, cfg.receiverPID, stop, err = startReceiver(ctx, cfg); err != nil {
			return err
		}
		defer stop()
	}

	var failed error
	for _, n := range cfg.sizes {
		sr, err := runSize(ctx, cfg, hook, n)
		rep.Sizes = append(rep.Sizes, sr)
		if err != nil {
			failed = fmt.Errorf("%d rows: %w", n, err)
			break
		}
	}
	if failed == nil && len(cfg.warehouses) > 0 {
		rep.Warehouses, failed = runWarehouses(ctx, cfg, hook, cfg.warehouseRows)
	}
	if failed == nil && cfg.pacing {
		rep.Pacing, failed = runPacing(ctx, cfg)
	}
	printTable(os.Stdout, rep)
	written, err := writeReport(cfg.out, rep, failed)
	if err != nil {
		return err
	}
	if failed != nil {
		fmt.Printf("\nwrote what was measured before the failure to %s (%s is left as it was)\n", written, cfg.out)
	} else {
		fmt.Printf("\nwrote %s\n", written)
	}
	if !cfg.keep {
		if err := dropDatabases(ctx, cfg.baseURL); err != nil {
			logf("drop the bench databases: %v", err)
		}
	}
	return failed
}

// writeReport writes rep to out, or, when the bench failed, to partialPath(out): a failed
// invocation (a role that may not create the bench databases, a server that went away) measured
// little or nothing, and must not replace the results a complete one wrote (bench/results.json
// is committed).
func writeReport(out string, rep report, failed error) (string, error) {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return "", err
	}
	if failed != nil {
		out = partialPath(out)
	}
	return out, os.WriteFile(out, append(b, '\n'), 0o644)
}

// partialPath is where a failed bench writes what it measured: results.json -> results.partial.json.
func partialPath(out string) string {
	ext := filepath.Ext(out)
	return strings.TrimSuffix(out, ext) + ".partial" + ext
}

func describeMachine(ctx context.Context, base string) (machine, error) {
	m := machine{Cores: runtime.NumCPU(), GoOS: runtime.GOOS, GoArch: runtime.GOARCH}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if fields := strings.Fields(s.Text()); len(fields) >= 2 && fields[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(fields[1], 10, 64)
				m.MemoryMB = kb / 1024
			}
		}
		f.Close()
	}
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return m, fmt.Errorf("connect to Postgres (BACKFLOW_DATABASE_URL or %s): %w", defaultURL, err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&m.PostgresVersion); err != nil {
		return m, err
	}
	return m, nil
}

var receivers atomic.Int64 // receivers started, to name their address files

// startReceiver runs the bench receiver as its own process, as a real endpoint would be.
// args are the receiver's options (a hidden limit, latency: see bench/receiver).
func startReceiver(ctx context.Context, cfg config, args ...string) (url string, pid int, stop func(), err error) {
	addrFile := filepath.Join(cfg.workDir, fmt.Sprintf("bench-receiver-%d-%d.addr", os.Getpid(), receivers.Add(1)))
	_ = os.Remove(addrFile)
	cmd := exec.CommandContext(ctx, cfg.receiver, append([]string{"--listen", "127.0.0.1:0", "--addr-file", addrFile}, args...)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", 0, nil, fmt.Errorf("start the bench receiver: %w", err)
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.Remove(addrFile)
	}
	for i := 0; i < 200; i++ {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			return "http://" + string(b), cmd.Process.Pid, stop, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	stop()
	return "", 0, nil, errors.New("the bench receiver did not start listening within 5s")
}

func dropDatabases(ctx context.Context, base string) error {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, db := range []string{cpDB, whDB} {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
			return err
		}
	}
	return nil
}

func recreateDatabases(ctx context.Context, base string) error {
	if err := dropDatabases(ctx, base); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, db := range []string{cpDB, whDB} {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+db); err != nil {
			return err
		}
	}
	return nil
}

func execAll(ctx context.Context, dbURL string, stmts ...string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%.60s…: %w", s, err)
		}
	}
	return nil
}

type env struct {
	cpURL, whURL, key, hook string
	model                   *controlplane.Model
	meta                    webhook.Meta
	// warehouse names the MySQL or DuckDB rows' warehouse (empty for Postgres's cases), and
	// serverPID its server's process, whose CPU counts as the warehouse's (0: none).
	warehouse string
	serverPID int
}

func setup(ctx context.Context, cfg config, hook string, n int) (*env, error) {
	if err := recreateDatabases(ctx, cfg.baseURL); err != nil {
		return nil, fmt.Errorf("recreate the bench databases: %w", err)
	}
	e := &env{hook: hook}
	var err error
	if e.cpURL, err = dbURL(cfg.baseURL, cpDB); err != nil {
		return nil, err
	}
	if e.whURL, err = dbURL(cfg.baseURL, whDB); err != nil {
		return nil, err
	}
	start := time.Now()
	if err := execAll(ctx, e.whURL, warehousetest.UsersSQL(n)...); err != nil {
		return nil, fmt.Errorf("generate users: %w", err)
	}
	logf("generated %d users in %.1fs", n, time.Since(start).Seconds())
	if err := execAll(ctx, e.whURL, cursorIndex); err != nil {
		return nil, err
	}

	key := make([]byte, 32)
	_, _ = rand.Read(key)
	e.key = base64.StdEncoding.EncodeToString(key)
	sealer, err := controlplane.ParseKey(e.key)
	if err != nil {
		return nil, err
	}
	store, err := controlplane.Open(ctx, e.cpURL, sealer)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	wh := &controlplane.Connection{Name: "bench warehouse", Postgres: &controlplane.PostgresConfig{URL: e.whURL}}
	if err := store.CreateConnection(ctx, wh); err != nil {
		return nil, err
	}
	dest := &controlplane.Connection{Name: "bench receiver", Webhook: &controlplane.WebhookConfig{URL: hook, Method: "POST"}}
	if err := store.CreateConnection(ctx, dest); err != nil {
		return nil, err
	}
	m := &controlplane.Model{Name: "bench users", ConnectionID: wh.ID, Table: "public.users"}
	if m.Columns, err = warehouse.Describe(ctx, &controlplane.PostgresConfig{URL: e.whURL}, m.Query()); err != nil {
		return nil, err
	}
	if err := store.CreateModel(ctx, m); err != nil {
		return nil, err
	}
	e.model = m
	for _, y := range []*controlplane.Sync{
		{Name: upsertSync, ModelID: m.ID, DestinationID: dest.ID, Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "unique_id", BatchSize: batchSize},
		{Name: mirrorSync, ModelID: m.ID, DestinationID: dest.ID, Behavior: controlplane.BehaviorMirror, PrimaryKey: "unique_id", BatchSize: batchSize},
		{Name: templatedSync, ModelID: m.ID, DestinationID: dest.ID, Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "unique_id", BatchSize: batchSize,
			Request: &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
				New: &controlplane.OperationRequest{Method: "POST", Path: "/bulk", Body: templatedBody}}},
		{Name: reshapedSync, ModelID: m.ID, DestinationID: dest.ID, Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "unique_id", BatchSize: batchSize,
			Request: &controlplane.RequestSpec{Mode: controlplane.RequestModeBatch,
				New: &controlplane.OperationRequest{Method: "POST", Path: "/bulk", Body: reshapedBody}}},
		{Name: recordSync, ModelID: m.ID, DestinationID: dest.ID, Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "unique_id", BatchSize: batchSize,
			Request: &controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
				New: &controlplane.OperationRequest{Method: "POST", Path: "/users/{{ record.unique_id | url_encode }}", Body: recordBody}}},
		cursorSyncDef(m.ID, dest.ID),
	} {
		if err := store.CreateSync(ctx, y); err != nil {
			return nil, err
		}
		if y.Name == upsertSync {
			schema, table := warehouse.NewPostgres(nil).SchemaAndTable(m.Table)
			e.meta = webhook.Meta{SyncRunAt: time.Now(), ConnectionName: dest.Name, ModelName: m.Name,
				SchemaName: schema, TableName: table, SyncID: y.ID, SyncName: y.Name}
		}
	}
	return e, nil
}

// ceilingE: the time to read the model once with COPY ... TO STDOUT, after one warm-up read;
// the best of reps reads.
func ceilingE(ctx context.Context, e *env, reps int) (float64, error) {
	conn, err := pgx.Connect(ctx, e.whURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	sql := "COPY (" + e.model.Query() + ") TO STDOUT"
	if _, err := conn.PgConn().CopyTo(ctx, io.Discard, sql); err != nil {
		return 0, err
	}
	best := 0.0
	for range reps {
		start := time.Now()
		if _, err := conn.PgConn().CopyTo(ctx, io.Discard, sql); err != nil {
			return 0, err
		}
		best = minPositive(best, time.Since(start).Seconds())
	}
	return best, nil
}

func minPositive(best, v float64) float64 {
	if best == 0 || v < best {
		return v
	}
	return best
}

// batchBody encodes one envelope of batchSize real records, as the runner would send them.
func batchBody(ctx context.Context, e *env) ([]byte, error) {
	rows, err := warehouse.Open(ctx, &controlplane.PostgresConfig{URL: e.whURL}, e.model.Query()+" LIMIT "+strconv.Itoa(batchSize), "unique_id", nil)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
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
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return e.meta.AppendEnvelope(nil, webhook.OpChanged, records), nil
}

// ceilingD: the time to POST ceil(records/batchSize) copies of body at the runner's concurrency
// with a bare HTTP loop.
func ceilingD(ctx context.Context, hook string, body []byte, records int) (float64, error) {
	batches := (records + batchSize - 1) / batchSize
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency}}
	defer client.CloseIdleConnections()
	next := make(chan struct{}, batches)
	for i := 0; i < batches; i++ {
		next <- struct{}{}
	}
	close(next)
	var wg sync.WaitGroup
	errs := make(chan error, concurrency)
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("the bench receiver answered %s", resp.Status)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return elapsed, nil
}

type receiverStats struct {
	Requests, Records, Bytes, Changed, Deleted, Limited int64
	FirstNS                                             int64   `json:"first_ns"`
	LastNS                                              int64   `json:"last_ns"`
	PerSecond                                           []int64 `json:"per_second"`
	MaxWindow                                           int64   `json:"max_window"` // pacing.go
}

func resetReceiver(ctx context.Context, hook string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hook+"/reset", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func readReceiver(ctx context.Context, hook string) (receiverStats, error) {
	var s receiverStats
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hook+"/stats", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// usage is what one run of the runner took.
type usage struct {
	seconds    float64  // wall time
	peakMB     float64  // the kernel's ru_maxrss of the process, so no sampling is missed
	cpuSeconds float64  // user + sys of the process
	split      cpuSplit // with watch: the others' CPU too
	profile    string   // with profile: the runner's CPU profile
}

// runHow says what measureRunner measures besides time, memory and the runner's CPU: the
// Postgres backends' and the receiver's CPU (watch), the runner's CPU profile (profile).
type runHow struct {
	watch, profile bool
	serverPID      int // with watch: a warehouse server's process, whose CPU is the warehouse's
}

// timeRunner runs `backflow-runner sync NAME` and returns its wall time and peak RSS.
// args are more flags for the sync command.
func timeRunner(ctx context.Context, cfg config, e *env, label, syncName string, args ...string) (seconds, peakMB float64, err error) {
	u, err := measureRunner(ctx, cfg, e, label, syncName, runHow{}, args...)
	return u.seconds, u.peakMB, err
}

// measureRunner runs `backflow-runner sync NAME` with more flags args, its output in a log
// named for label, and returns what it took.
func measureRunner(ctx context.Context, cfg config, e *env, label, syncName string, how runHow, args ...string) (usage, error) {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, label)
	logPath := filepath.Join(cfg.workDir, "bench-runner-"+safe+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return usage{}, err
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, cfg.runner, append([]string{"sync", syncName}, args...)...)
	cmd.Env = append(os.Environ(), controlplane.DatabaseURLEnv+"="+e.cpURL, controlplane.SecretKeyEnv+"="+e.key)
	var u usage
	if how.profile {
		u.profile = filepath.Join(cfg.workDir, "bench-runner-"+safe+".prof")
		cmd.Env = append(cmd.Env, "BACKFLOW_CPUPROFILE="+u.profile)
	}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	var watch *cpuWatch
	if how.watch {
		watch = watchCPU([]string{whDB, cpDB}, cfg.receiverPID, how.serverPID)
	}
	start := time.Now()
	runErr := cmd.Run()
	u.seconds = time.Since(start).Seconds()
	if watch != nil {
		u.split = watch.stop()
	}
	if ps := cmd.ProcessState; ps != nil {
		u.cpuSeconds = (ps.UserTime() + ps.SystemTime()).Seconds()
		u.split.Runner = u.cpuSeconds
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			u.peakMB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
		}
	}
	if runErr != nil {
		tail, _ := os.ReadFile(logPath)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return u, fmt.Errorf("backflow-runner sync %q: %w; its output (%s) ends:\n%s", syncName, runErr, logPath, tail)
	}
	return u, nil
}

// timedCase runs one timed case reps times (before, untimed, ahead of each) and checks what the
// receiver got.
func timedCase(ctx context.Context, cfg config, e *env, n int, r result, syncName string, reps int,
	before func(rep int) error, want func() (changed, deleted int64, err error), extra ...string) (result, error) {
	var profile string
	for rep := range reps {
		if before != nil {
			if err := before(rep); err != nil {
				return r, fmt.Errorf("prepare %q: %w", r.Case, err)
			}
		}
		wantChanged, wantDeleted, err := want()
		if err != nil {
			return r, err
		}
		if err := resetReceiver(ctx, e.hook); err != nil {
			return r, err
		}
		label := fmt.Sprintf("%d-%s-%d", n, r.Case, rep+1)
		if e.warehouse != "" {
			label = e.warehouse + "-" + label
		}
		logf("%s (%d of %d): backflow-runner sync %q %v", strings.TrimSpace(e.warehouse+" "+r.Case), rep+1, reps, syncName, extra)
		// The last run writes a CPU profile, shown when the case misses its target.
		how := runHow{watch: true, profile: rep == reps-1, serverPID: e.serverPID}
		u, err := measureRunner(ctx, cfg, e, label, syncName, how, extra...)
		r.PeakMB = max(r.PeakMB, u.peakMB)
		if err != nil {
			r.Note = "failed"
			return r, err
		}
		st, err := readReceiver(ctx, e.hook)
		if err != nil {
			return r, err
		}
		if st.Changed != wantChanged || st.Deleted != wantDeleted {
			r.Note = fmt.Sprintf("expected %d changed and %d deleted, the receiver got %d and %d", wantChanged, wantDeleted, st.Changed, st.Deleted)
			return r, errors.New(r.Note)
		}
		r.Samples = append(r.Samples, u.seconds)
		r.CPUSamples = append(r.CPUSamples, u.cpuSeconds)
		if r.Seconds == 0 || u.seconds < r.Seconds {
			r.Seconds, r.SentChanged, r.SentDeleted, r.CPU = u.seconds, st.Changed, st.Deleted, u.split
		}
		profile = u.profile
	}
	judge(&r)
	if !r.OK {
		r.ProfileTop = profileTop(ctx, cfg.runner, profile, 12)
	}
	return r, nil
}

// writeFile writes, with -keep, what it takes to run the runner by hand against the kept
// databases (the control plane's URL and key) to env-<label> in the work directory.
func (e *env) writeFile(cfg config, label string) error {
	if !cfg.keep {
		return nil
	}
	envFile := filepath.Join(cfg.workDir, "env-"+label)
	text := controlplane.DatabaseURLEnv + "=" + e.cpURL + "\n" + controlplane.SecretKeyEnv + "=" + e.key + "\n"
	if err := os.WriteFile(envFile, []byte(text), 0o600); err != nil {
		return err
	}
	logf("the runner's environment for the kept databases is in %s", envFile)
	return nil
}

func runSize(ctx context.Context, cfg config, hook string, n int) (sizeResult, error) {
	sr := sizeResult{Rows: n, Repeat: cfg.reps}
	logf("--- %d rows", n)
	e, err := setup(ctx, cfg, hook, n)
	if err != nil {
		return sr, err
	}
	if err := e.writeFile(cfg, strconv.Itoa(n)); err != nil {
		return sr, err
	}
	c := &sr.Ceilings
	if c.ESeconds, err = ceilingE(ctx, e, cfg.reps); err != nil {
		return sr, fmt.Errorf("ceiling E: %w", err)
	}
	c.ERowsPerSec = float64(n) / c.ESeconds
	body, err := batchBody(ctx, e)
	if err != nil {
		return sr, fmt.Errorf("encode a batch: %w", err)
	}
	c.BatchBytes = len(body)
	onePct := n / 100
	for range cfg.reps {
		d, err := ceilingD(ctx, hook, body, n)
		if err != nil {
			return sr, fmt.Errorf("ceiling D: %w", err)
		}
		c.DSeconds = minPositive(c.DSeconds, d)
	}
	c.DRecordsPerSec = float64(n) / c.DSeconds
	for range cfg.reps {
		d, err := ceilingD(ctx, hook, body, onePct)
		if err != nil {
			return sr, fmt.Errorf("ceiling D: %w", err)
		}
		c.D1PctSeconds = minPositive(c.D1PctSeconds, d)
	}
	logf("ceilings: E %.2fs, D %.2fs, D(1%%) %.3fs", c.ESeconds, c.DSeconds, c.D1PctSeconds)

	type step struct {
		label, sync      string
		before           func(rep int) error // before each timed run (not timed)
		changed, deleted int64
		ceiling          string
		ceilingS, target float64
		cpuTarget        float64 // core-µs per record
		// relativeTo: the ceiling is that earlier case's time (ceiling names it).
		relativeTo string
		flags      []string // backflow-runner sync's
		// request: a case of the request spec's, run at up to requestCasesMax rows unless
		// BENCH_CASES names it (record mode is a request per record).
		request bool
	}
	exec := func(url string, stmts ...string) error { return execAll(ctx, url, stmts...) }
	k := strconv.Itoa(onePct)
	// Repeating a first run needs the sync's ledger emptied; repeating the deletion needs the
	// deleted rows back in the warehouse and delivered again, untimed, before they go again.
	clearLedger := func(syncName string) func(int) error {
		return func(rep int) error {
			if rep == 0 {
				return nil
			}
			id := `(SELECT id FROM backflow.syncs WHERE name = '` + syncName + `')`
			return exec(e.cpURL, `DELETE FROM backflow.sync_ledger WHERE sync_id = `+id,
				`DELETE FROM backflow.sync_ledger_pages WHERE sync_id = `+id,
				"VACUUM ANALYZE backflow.sync_ledger", "VACUUM ANALYZE backflow.sync_ledger_pages")
		}
	}
	firstRun := func(label, syncName string) step {
		return step{label: label, sync: syncName, changed: int64(n), ceiling: "E+D", ceilingS: c.ESeconds + c.DSeconds,
			target: targetFactor, cpuTarget: targetCPU, before: clearLedger(syncName)}
	}
	steps := []step{
		firstRun("first run", upsertSync),
		{label: "nothing changed", sync: upsertSync, ceiling: "E", ceilingS: c.ESeconds, target: targetFactor},
		{label: "1% updated", sync: upsertSync, changed: int64(onePct), ceiling: "E", ceilingS: c.ESeconds, target: changedTarget(*c),
			before: func(int) error {
				return exec(e.whURL, "UPDATE users SET role = role || ' (promoted)' WHERE unique_id IN (SELECT unique_id FROM users ORDER BY user_id LIMIT "+k+")",
					"VACUUM ANALYZE users")
			}},
		{label: "templated batch", sync: templatedSync, changed: int64(n), ceiling: "first run", relativeTo: "first run", target: targetFactor,
			before: clearLedger(templatedSync), request: true},
		{label: "reshaped batch", sync: reshapedSync, changed: int64(n), ceiling: "first run", relativeTo: "first run",
			before: clearLedger(reshapedSync), request: true},
		{label: "record mode", sync: recordSync, changed: int64(n), ceiling: "first run", relativeTo: "first run",
			before: clearLedger(recordSync), flags: []string{"--concurrency", strconv.Itoa(recordConcurrency)}, request: true},
		firstRun("mirror first run", mirrorSync),
		{label: "mirror, 1% deleted", sync: mirrorSync, deleted: int64(onePct), ceiling: "E", ceilingS: c.ESeconds, target: changedTarget(*c),
			before: func(rep int) error {
				if rep > 0 {
					if err := exec(e.whURL, "INSERT INTO users SELECT * FROM users_deleted", "DROP TABLE users_deleted"); err != nil {
						return err
					}
					if _, _, err := timeRunner(ctx, cfg, e, fmt.Sprintf("%d-mirror-restore-%d", n, rep), mirrorSync); err != nil {
						return err
					}
				}
				return exec(e.whURL, "CREATE TABLE users_deleted AS SELECT * FROM users ORDER BY user_id DESC LIMIT "+k,
					"DELETE FROM users WHERE unique_id IN (SELECT unique_id FROM users_deleted)", "VACUUM ANALYZE users")
			}},
	}
	rows := n
	for _, s := range steps {
		explicit := len(cfg.cases) > 0 && cfg.runs(s.label)
		if !cfg.runs(s.label) || s.request && n > requestCasesMax && !explicit {
			continue
		}
		if s.deleted > 0 {
			rows = n - int(s.deleted)
		}
		if s.relativeTo != "" {
			for _, c := range sr.Cases {
				if c.Case == s.relativeTo {
					s.ceilingS = c.Seconds
				}
			}
			if s.ceilingS == 0 {
				logf("%s: skipped, %q did not run (BENCH_CASES)", s.label, s.relativeTo)
				continue
			}
		}
		r := result{Case: s.label, Rows: rows, Ceiling: s.ceiling, CeilingS: s.ceilingS, Target: s.target, CPUTarget: s.cpuTarget}
		want := func() (int64, int64, error) { return s.changed, s.deleted, nil }
		r, err := timedCase(ctx, cfg, e, n, r, s.sync, cfg.reps, s.before, want, s.flags...)
		sr.Cases = append(sr.Cases, r)
		if err != nil {
			return sr, err
		}
	}
	if cfg.runs("cursor") {
		cursorCases, err := runCursorCases(ctx, cfg, e, n, sr.Ceilings)
		sr.Cases = append(sr.Cases, cursorCases...)
		if err != nil {
			return sr, err
		}
	}
	if n != slices.Max(cfg.sizes) || !cfg.runs("delivery log") {
		return sr, nil
	}
	sr.DeliveryLog, err = runDeliveryLogCost(ctx, cfg, e, n)
	return sr, err
}

func printTable(w io.Writer, rep report) {
	fmt.Fprintf(w, "\nmachine: %d cores, %d MB, Postgres %s; batch %d, concurrency %d\n",
		rep.Machine.Cores, rep.Machine.MemoryMB, rep.Machine.PostgresVersion, rep.BatchSize, rep.Concurrency)
	for _, s := range rep.Sizes {
		c := s.Ceilings
		fmt.Fprintf(w, "\n%d rows (best of %d) — ceilings: E %.2fs (%.0f rows/s), D %.2fs (%.0f records/s), D(1%%) %.3fs\n",
			s.Rows, s.Repeat, c.ESeconds, c.ERowsPerSec, c.DSeconds, c.DRecordsPerSec, c.D1PctSeconds)
		fmt.Fprintf(w, "%-24s %9s %9s %9s %8s %11s %-9s %6s %7s %8s %7s %6s  %s\n",
			"case", "rows", "changed", "deleted", "seconds", "records/s", "ceiling", "ratio", "target", "peak MB",
			"cpu µs", "target", "")
		for _, r := range s.Cases {
			mark := "ok"
			if !r.OK {
				mark = "MISS " + r.Note
			}
			fmt.Fprintf(w, "%-24s %9d %9d %9d %8.2f %11.0f %-9s %6.2f %7s %8.1f %7.2f %6s  %s\n",
				r.Case, r.Rows, r.SentChanged, r.SentDeleted, r.Seconds, r.RecordsPerS, r.Ceiling, r.Ratio,
				targetText(r.Target, "×"), r.PeakMB, r.CPUUsPerRecord, targetText(r.CPUTarget, ""), mark)
		}
		fmt.Fprintf(w, "targets: first run ≤%g×(E+D) and ≤%g core-µs of runner CPU (user+sys) per record; nothing changed ≤%g×E; "+
			"1%% changed ≤%g×E+%g×D(1%%), as a ratio to E\n", targetFactor, targetCPU, targetFactor, targetFactor, changedDFactor)
		printDeliveryLog(w, s.DeliveryLog)
		printWhy(w, s.Cases)
	}
	// The design's bound on growth: the largest size's peak within 1.2× of the smallest's.
	if len(rep.Sizes) > 1 {
		first, last := rep.Sizes[0], rep.Sizes[len(rep.Sizes)-1]
		p0, p1 := peakOf(first), peakOf(last)
		if p0 > 0 && len(last.Cases) == len(first.Cases) {
			mark := "ok"
			if p1/p0 > 1.2 {
				mark = "MISS over 1.2×"
			}
			fmt.Fprintf(w, "\npeak memory: %.1f MB at %d rows, %.1f MB at %d rows: %.2f× (target ≤1.2×)  %s\n",
				p0, first.Rows, p1, last.Rows, p1/p0, mark)
		}
	}
	printWarehouses(w, rep.Warehouses)
	printPacing(w, rep.Pacing)
}

// targetText shows a target t (0: none) rounded to two decimals, followed by unit.
func targetText(t float64, unit string) string {
	if t == 0 {
		return "-"
	}
	return "≤" + strconv.FormatFloat(math.Round(t*100)/100, 'f', -1, 64) + unit
}

func peakOf(s sizeResult) float64 {
	peak := 0.0
	for _, r := range s.Cases {
		peak = max(peak, r.PeakMB)
	}
	return peak
}
