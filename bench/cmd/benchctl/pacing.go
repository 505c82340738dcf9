package main

// The pacing cases (issue 14): adaptive pacing against an endpoint with a hidden rate limit and
// against a slow one, a limit shared by two runners, and what sharing the limit through the
// control plane costs. Requests, not records, are what is paced, so these cases send small
// batches (pacingBatch records) from small models: each takes well under a minute, where 1M
// records at 200 requests/s of 1000 records would take 5,000 requests too, but 1M rows to read.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

const (
	pacingBatch = 20  // records per request
	hiddenLimit = 200 // requests per second: the receiver's hidden limit, and the shared one
	// Rows of the models: users (5,000 requests: 25 s at 200/s), pair (2 × 2,500 requests for two
	// runners at 200/s together), slow (400 requests: 20 s at fixed concurrency 4 × 200 ms).
	pacingRows = 100000
	pairRows   = 50000
	slowRows   = 8000
)

type pacingResult struct {
	Case     string  `json:"case"`
	Mode     string  `json:"mode"`
	Receiver string  `json:"receiver"` // the receiver's options
	Records  int     `json:"records"`
	Requests int64   `json:"requests"` // answered 2xx
	Limited  int64   `json:"limited"`  // answered 429
	Seconds  float64 `json:"seconds"`  // the runners' wall time (the longest, with two)
	// RequestsPerS: 2xx requests per second at the receiver, from the first to the last.
	RequestsPerS float64 `json:"requests_per_s"`
	// MaxPerSecond and MinPerSecond: the most and fewest 2xx requests the receiver got in one
	// whole second.
	MaxPerSecond int64 `json:"max_per_second"`
	MinPerSecond int64 `json:"min_per_second"`
	// MaxWindow: the most 2xx requests the receiver got within any one second (a sliding window,
	// stricter than whole seconds).
	MaxWindow int64   `json:"max_window"`
	PerSecond []int64 `json:"per_second,omitempty"`
	Pace      string  `json:"pace"` // as the runs recorded it
	Target    string  `json:"target"`
	OK        bool    `json:"ok"`
	Note      string  `json:"note,omitempty"`
}

type pacingEnv struct {
	*env
	store  *controlplane.Store
	models map[string]*controlplane.Model
}

func runPacing(ctx context.Context, cfg config) ([]pacingResult, error) {
	logf("--- pacing cases")
	p, err := setupPacing(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer p.store.Close()
	var out []pacingResult
	add := func(r pacingResult, err error) error {
		if err != nil {
			return fmt.Errorf("pacing case %s: %w", r.Case, err)
		}
		logf("%s: %.1f requests/s, %d × 429, %s", r.Case, r.RequestsPerS, r.Limited, r.Pace)
		out = append(out, r)
		return nil
	}

	// (a) A hidden limit of 200/s behind 50 ms: adaptive finds it.
	r, err := p.run(ctx, cfg, "hidden limit", []string{"--limit", fmt.Sprint(hiddenLimit), "--latency", "50ms"},
		&controlplane.RateLimit{Mode: pacing.ModeAdaptive}, []string{"users"})
	share := float64(r.Limited) / float64(max(r.Requests+r.Limited, 1))
	r.Target = fmt.Sprintf("≥ %.0f/s (90%% of the hidden %d/s), ≤ 2%% answered 429", 0.9*hiddenLimit, hiddenLimit)
	r.OK = r.RequestsPerS >= 0.9*hiddenLimit && share <= 0.02
	r.Note = fmt.Sprintf("%.0f%% of the hidden rate, %.2f%% answered 429", 100*r.RequestsPerS/hiddenLimit, 100*share)
	if err := add(r, err); err != nil {
		return out, err
	}

	// (b) No limit, 200 ms per request: adaptive against fixed concurrency 4.
	fixed, err := p.run(ctx, cfg, "slow endpoint, fixed", []string{"--latency", "200ms"}, nil, []string{"slow"})
	fixed.Target = "the reference: fixed concurrency 4"
	fixed.OK = true
	if err := add(fixed, err); err != nil {
		return out, err
	}
	r, err = p.run(ctx, cfg, "slow endpoint, adaptive", []string{"--latency", "200ms"},
		&controlplane.RateLimit{Mode: pacing.ModeAdaptive}, []string{"users"})
	limit := float64(pacing.DefaultAdaptiveConcurrency) / 0.2
	r.Target = fmt.Sprintf("≥ 5 × fixed (%.0f/s), ≤ max_concurrency %d / 200 ms (%.0f/s)", 5*fixed.RequestsPerS,
		pacing.DefaultAdaptiveConcurrency, limit)
	r.OK = r.RequestsPerS >= 5*fixed.RequestsPerS && r.RequestsPerS <= limit*1.02
	r.Note = fmt.Sprintf("%.1f × fixed concurrency 4", r.RequestsPerS/max(fixed.RequestsPerS, 1e-9))
	if err := add(r, err); err != nil {
		return out, err
	}

	// (c) Two runners, two syncs, one connection limited to 200/s.
	r, err = p.run(ctx, cfg, "two runners, one limit", nil,
		&controlplane.RateLimit{Mode: pacing.ModeFixed, MaxRequestsPerSecond: hiddenLimit}, []string{"pair", "pair"})
	r.Target = fmt.Sprintf("every second ≤ %d at the receiver, > %d on average", hiddenLimit, hiddenLimit*9/10)
	r.OK = r.MaxPerSecond <= hiddenLimit && r.RequestsPerS > 0.9*hiddenLimit
	r.Note = fmt.Sprintf("seconds of %d to %d requests; at most %d within any one second", r.MinPerSecond,
		r.MaxPerSecond, r.MaxWindow)
	if err := add(r, err); err != nil {
		return out, err
	}

	// What sharing the limit costs: one runner with and without the control plane's timeline
	// (--local-pacing), alternated -repeat times, the best of each counting: at the limit (200/s,
	// where a lease is a round trip per 100 ms of slots) and with a limit it never reaches
	// (10,000/s: how fast a runner can go when every block is leased from the control plane).
	for _, c := range []struct {
		name  string
		limit int64
		table string
	}{{"at 200/s", hiddenLimit, "pair"}, {"unreached limit", pacing.MaxRequestsPerSecond, "users"}} {
		rl := &controlplane.RateLimit{Mode: pacing.ModeFixed, MaxRequestsPerSecond: c.limit}
		var local, shared pacingResult
		for i := range cfg.reps {
			for _, local1 := range []bool{true, false} {
				name, args := fmt.Sprintf("sharing cost %s, shared %d", c.name, i+1), []string(nil)
				if local1 {
					name, args = fmt.Sprintf("sharing cost %s, local %d", c.name, i+1), []string{"--local-pacing"}
				}
				r, err := p.run(ctx, cfg, name, nil, rl, []string{c.table}, args...)
				if err != nil {
					return out, fmt.Errorf("pacing case %s: %w", r.Case, err)
				}
				logf("%s: %.1f requests/s", name, r.RequestsPerS)
				best := &shared
				if local1 {
					best = &local
				}
				if r.RequestsPerS > best.RequestsPerS {
					*best = r
				}
			}
		}
		local.Case, shared.Case = "sharing cost "+c.name+", local", "sharing cost "+c.name+", shared"
		local.Target, local.OK = fmt.Sprintf("the reference: the runner paces alone (--local-pacing); best of %d", cfg.reps), true
		shared.Target, shared.OK = fmt.Sprintf("reported: the shared timeline against --local-pacing; best of %d", cfg.reps), true
		shared.Note = fmt.Sprintf("%.1f%% fewer requests/s than local pacing", 100*(1-shared.RequestsPerS/max(local.RequestsPerS, 1e-9)))
		out = append(out, local, shared)
	}
	return out, nil
}

// setupPacing recreates the bench databases with the pacing cases' models.
func setupPacing(ctx context.Context, cfg config) (*pacingEnv, error) {
	if err := recreateDatabases(ctx, cfg.baseURL); err != nil {
		return nil, fmt.Errorf("recreate the bench databases: %w", err)
	}
	e := &env{}
	var err error
	if e.cpURL, err = dbURL(cfg.baseURL, cpDB); err != nil {
		return nil, err
	}
	if e.whURL, err = dbURL(cfg.baseURL, whDB); err != nil {
		return nil, err
	}
	stmts := append(warehousetest.UsersSQL(pacingRows),
		fmt.Sprintf("CREATE TABLE public.pair AS SELECT * FROM public.users ORDER BY unique_id LIMIT %d", pairRows),
		fmt.Sprintf("CREATE TABLE public.slow AS SELECT * FROM public.users ORDER BY unique_id LIMIT %d", slowRows))
	if err := execAll(ctx, e.whURL, stmts...); err != nil {
		return nil, fmt.Errorf("generate users: %w", err)
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
	p := &pacingEnv{env: e, store: store, models: map[string]*controlplane.Model{}}
	wh := &controlplane.Connection{Name: "bench warehouse", Postgres: &controlplane.PostgresConfig{URL: e.whURL}}
	if err := store.CreateConnection(ctx, wh); err != nil {
		store.Close()
		return nil, err
	}
	for _, table := range []string{"users", "pair", "slow"} {
		m := &controlplane.Model{Name: "bench " + table, ConnectionID: wh.ID, Table: "public." + table}
		if m.Columns, err = warehouse.Describe(ctx, &controlplane.PostgresConfig{URL: e.whURL}, m.Query()); err == nil {
			err = store.CreateModel(ctx, m)
		}
		if err != nil {
			store.Close()
			return nil, err
		}
		p.models[table] = m
	}
	return p, nil
}

// run starts a receiver with receiverArgs, a connection to it paced by rl (nil: the runner's
// default, fixed concurrency 4 and no rate), and one sync per model named in tables, each run
// (a first run) by a runner process of its own, all at once.
func (p *pacingEnv) run(ctx context.Context, cfg config, name string, receiverArgs []string, rl *controlplane.RateLimit,
	tables []string, runnerArgs ...string) (pacingResult, error) {
	r := pacingResult{Case: name, Mode: "fixed, concurrency 4", Receiver: fmt.Sprint(receiverArgs)}
	if rl != nil {
		r.Mode = rl.Mode
		if rl.MaxRequestsPerSecond > 0 {
			r.Mode += fmt.Sprintf(", %d/s", rl.MaxRequestsPerSecond)
		}
	}
	if len(runnerArgs) > 0 {
		r.Mode += " " + fmt.Sprint(runnerArgs)
	}
	hook, _, stop, err := startReceiver(ctx, cfg, receiverArgs...)
	if err != nil {
		return r, err
	}
	defer stop()
	dest := &controlplane.Connection{Name: "bench " + name,
		Webhook: &controlplane.WebhookConfig{URL: hook, Method: "POST", RateLimit: rl}}
	if err := p.store.CreateConnection(ctx, dest); err != nil {
		return r, err
	}
	var syncs []*controlplane.Sync
	for i, table := range tables {
		m := p.models[table]
		y := &controlplane.Sync{Name: fmt.Sprintf("bench %s %d", name, i+1), ModelID: m.ID, DestinationID: dest.ID,
			Behavior: controlplane.BehaviorUpdateOrCreate, PrimaryKey: "unique_id", BatchSize: pacingBatch}
		if err := p.store.CreateSync(ctx, y); err != nil {
			return r, err
		}
		syncs = append(syncs, y)
		r.Records += map[string]int{"users": pacingRows, "pair": pairRows, "slow": slowRows}[table]
	}
	var wg sync.WaitGroup
	errs := make([]error, len(syncs))
	secs := make([]float64, len(syncs))
	for i, y := range syncs {
		wg.Go(func() {
			secs[i], _, errs[i] = timeRunner(ctx, cfg, p.env, y.Name, y.Name, runnerArgs...)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return r, err
		}
		r.Seconds = max(r.Seconds, secs[i])
	}
	st, err := readReceiver(ctx, hook)
	if err != nil {
		return r, err
	}
	r.Requests, r.Limited, r.PerSecond, r.MaxWindow = st.Requests, st.Limited, st.PerSecond, st.MaxWindow
	if span := time.Duration(st.LastNS - st.FirstNS).Seconds(); span > 0 {
		r.RequestsPerS = float64(st.Requests-1) / span
	}
	for i, n := range st.PerSecond {
		if i == 0 || n < r.MinPerSecond {
			r.MinPerSecond = n
		}
		r.MaxPerSecond = max(r.MaxPerSecond, n)
	}
	for _, y := range syncs {
		runs, err := p.store.ListRuns(ctx, y.ID, 1)
		if err != nil {
			return r, err
		}
		if len(runs) == 1 {
			if r.Pace != "" {
				r.Pace += "; "
			}
			r.Pace += runs[0].PaceText()
		}
	}
	return r, nil
}

func printPacing(w io.Writer, rs []pacingResult) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "\npacing (batches of %d records; requests/s at the receiver, first to last request; one run each)\n", pacingBatch)
	fmt.Fprintf(w, "%-34s %-28s %8s %6s %8s %11s %6s %6s  %-40s %s\n", "case", "mode", "requests", "429", "seconds",
		"requests/s", "max/s", "max 1s", "pace (run record)", "")
	for _, r := range rs {
		mark := "ok"
		if !r.OK {
			mark = "MISS"
		}
		fmt.Fprintf(w, "%-34s %-28s %8d %6d %8.2f %11.1f %6d %6d  %-40s %s %s; target %s\n", r.Case, r.Mode, r.Requests,
			r.Limited, r.Seconds, r.RequestsPerS, r.MaxPerSecond, r.MaxWindow, r.Pace, mark, r.Note, r.Target)
	}
}
