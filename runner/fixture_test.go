package runner

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// delivery is one record as the receiver got it.
type delivery struct {
	Op   string
	Data map[string]any
}

// receiver is a webhook endpoint that records what it accepted. handle, when set, may answer a
// request itself (returning true); it sees the decoded envelope and the request's sequence number.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	n      int
	got    []delivery
	envs   []webhook.Envelope
	handle func(n int, env *webhook.Envelope, w http.ResponseWriter) bool
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return // the runner hung up mid-request (a cancelled run): nothing was delivered
		}
		var env webhook.Envelope
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("receiver: body is not an envelope: %v: %s", err, body)
			w.WriteHeader(400)
			return
		}
		r.mu.Lock()
		r.n++
		n := r.n
		h := r.handle
		r.mu.Unlock()
		if h != nil && h(n, &env, w) {
			return
		}
		r.accept(&env)
		w.WriteHeader(200)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) accept(env *webhook.Envelope) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.envs = append(r.envs, *env)
	for _, d := range env.Data {
		var m map[string]any
		_ = json.Unmarshal(d, &m)
		r.got = append(r.got, delivery{Op: env.Operation, Data: m})
	}
}

// take returns and forgets what was accepted, as "op key" strings sorted, plus the records.
func (r *receiver) take(keyName string) ([]string, []delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got, r.envs = nil, nil
	var out []string
	for _, d := range got {
		out = append(out, d.Op+" "+jsonText(d.Data[keyName]))
	}
	sort.Strings(out)
	return out, got
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type fixture struct {
	t      *testing.T
	ctx    context.Context
	store  *controlplane.Store
	cpURL  string
	key    string
	whURL  string
	wh     *pgxpool.Pool
	recv   *receiver
	engine *Engine
	sync   *controlplane.Sync
	model  *controlplane.Model
	dest   *controlplane.Connection
}

const usersTable = `CREATE TABLE users (
	id bigint PRIMARY KEY, email text, name text, vip boolean, updated_at timestamp);
INSERT INTO users VALUES
	(1, 'ada@example.com', 'Ada', true, '2019-12-08 14:19:52'),
	(2, 'bob@example.com', 'Bob', false, '2020-01-01 00:00:00'),
	(3, 'cy@example.com', 'Cy', null, '2020-02-02 02:02:02.5'),
	(4, 'di@example.com', 'Di', false, '2021-03-03 03:03:03'),
	(10, 'ed@example.com', 'Ed', true, '2022-04-04 04:04:04')`

// newFixture makes a control plane, a warehouse with users, a receiver, and a sync of the users
// to the receiver with behavior.
func newFixture(t *testing.T, behavior string, mappings []controlplane.Mapping) *fixture {
	t.Helper()
	ctx := context.Background()
	store, cpURL, key := controlplanetest.NewStore(t)
	f := &fixture{t: t, ctx: ctx, store: store, cpURL: cpURL, key: key}
	f.whURL = controlplanetest.NewDatabase(t)
	f.wh = controlplanetest.Pool(t, f.whURL)
	f.exec(usersTable)
	f.recv = newReceiver(t)

	wc := &controlplane.Connection{Name: "Analytics warehouse", Postgres: &controlplane.PostgresConfig{URL: f.whURL}}
	if err := store.CreateConnection(ctx, wc); err != nil {
		t.Fatal(err)
	}
	f.dest = &controlplane.Connection{Name: "Webhook Test", Webhook: &controlplane.WebhookConfig{
		URL: f.recv.srv.URL + "/hook", Method: "POST", SigningSecret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
	}}
	if err := store.CreateConnection(ctx, f.dest); err != nil {
		t.Fatal(err)
	}
	f.model = &controlplane.Model{Name: "active users", ConnectionID: wc.ID, Table: "public.users"}
	if err := store.CreateModel(ctx, f.model); err != nil {
		t.Fatal(err)
	}
	f.sync = &controlplane.Sync{Name: "Active users to webhook", ModelID: f.model.ID, DestinationID: f.dest.ID,
		Behavior: behavior, PrimaryKey: "id", Mappings: mappings, BatchSize: 2}
	if err := store.CreateSync(ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.engine = &Engine{Store: store, Logger: slog.New(slog.DiscardHandler), Concurrency: 2, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		CommitEvery: 3, CommitInterval: 50 * time.Millisecond}
	return f
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.wh.Exec(f.ctx, sql, args...); err != nil {
		f.t.Fatalf("warehouse: %v", err)
	}
}

// run runs the sync and fails the test unless the outcome is want.
func (f *fixture) run(wantStatus string, opts RunOptions) *controlplane.Run {
	f.t.Helper()
	run, err := f.engine.Run(f.ctx, f.sync.ID, opts)
	if run == nil {
		f.t.Fatalf("run not recorded: %v", err)
	}
	if run.Status != wantStatus {
		f.t.Fatalf("run status = %s (error %v), want %s", run.Status, err, wantStatus)
	}
	if (err == nil) != (wantStatus == controlplane.RunSucceeded) {
		f.t.Fatalf("run error = %v with status %s", err, run.Status)
	}
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	if stored.Status != run.Status || stored.Counts != run.Counts {
		f.t.Fatalf("stored run %+v differs from returned %+v", stored, run)
	}
	return run
}

func (f *fixture) ledgerKeys() []string {
	f.t.Helper()
	m, err := controlplanetest.LedgerEntries(f.ctx, f.store, f.sync.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	out := strings.Split(s, "\n")
	sort.Strings(out)
	return out
}
