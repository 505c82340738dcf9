package controlplane_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
)

// Runners leasing request slots of one connection at once share its rate: counted by the slots
// granted, every slot is at least one interval after the one before it, whoever it went to, so
// no window of the timeline holds more than the rate, whatever the interleaving. Each lease
// here asks for a rate of its own (adaptive runners learn theirs apart): the slots are never
// closer than the fastest one's interval, and never add up to the sum of the rates.
func TestLeaseSlotsHoldsTheRateAcrossClients(t *testing.T) {
	ctx := context.Background()
	store, dbURL, key := controlplanetest.NewStore(t) // NewStore: a second client must see the rows
	hook := webhookConn("Shared limit")
	hook.Webhook.MaxRequestsPerSecond = 0 // the rates asked are the runners' (a limit would space them: TestLeaseSlotsHoldTheLimitAsChanged)
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	k, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Three clients as three runner processes: each its own pool, and its own rate.
	clients := []*controlplane.Store{store, controlplane.New(controlplanetest.Pool(t, dbURL), k),
		controlplane.New(controlplanetest.Pool(t, dbURL), k)}
	rates := []float64{100, 80, 50}

	const block, leases = 10, 20
	var mu sync.Mutex
	var slots []time.Time
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			interval := pacing.Interval(rates[i])
			for range leases {
				l, err := c.LeaseSlots(ctx, hook.ID, block, interval, 0)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for j := range block {
					slots = append(slots, l.First.Add(time.Duration(j)*interval))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	slices.SortFunc(slots, time.Time.Compare)
	fastest := pacing.Interval(rates[0])
	for i := 1; i < len(slots); i++ {
		if gap := slots[i].Sub(slots[i-1]); gap < fastest {
			t.Fatalf("slots %d and %d are %v apart, want at least %v (%v/s)", i-1, i, gap, fastest, rates[0])
		}
	}
	// Counted per window: no second (plus the jitter the spacing absorbs) holds more than the
	// fastest rate.
	if most := pacing.MostWithin(slots, time.Second+pacing.Jitter); most > int(rates[0]) {
		t.Errorf("a window of %v holds %d slots, want at most %v", time.Second+pacing.Jitter, most, rates[0])
	}
	if len(slots) != len(clients)*block*leases {
		t.Errorf("granted %d slots, want %d", len(slots), len(clients)*block*leases)
	}
}

// A runner that dies holding a lease costs the others that block and no more: the next lease
// starts where it ends (never inside it: its slots are not granted twice), or at now when it is
// over, never later.
func TestLeaseSlotsOfADeadRunnerExpire(t *testing.T) {
	ctx := context.Background()
	store, _ := controlplanetest.NewTxStore(t)
	hook := webhookConn("Dead runner")
	hook.Webhook.MaxRequestsPerSecond = 0
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	// A block over as soon as it is granted: the lease after it starts from now.
	if _, err := store.LeaseSlots(ctx, hook.ID, 1, time.Microsecond, 0); err != nil {
		t.Fatal(err)
	}
	l, err := store.LeaseSlots(ctx, hook.ID, 1, time.Microsecond, 0)
	if err != nil {
		t.Fatal(err)
	}
	if l.First.After(l.Now) {
		t.Errorf("the lease after an expired one starts %v after now, want now", l.First.Sub(l.Now))
	}
	interval := pacing.Interval(200)
	dead, err := store.LeaseSlots(ctx, hook.ID, 20, interval, 0) // and never used
	if err != nil {
		t.Fatal(err)
	}
	next, err := store.LeaseSlots(ctx, hook.ID, 20, interval, 0)
	if err != nil {
		t.Fatal(err)
	}
	end := dead.First.Add(20 * interval)
	if next.First.Before(end) {
		t.Errorf("the lease after a dead runner's starts at %v, inside it (it ends at %v)", next.First, end)
	}
	if next.First.After(end) && next.First.After(next.Now) {
		t.Errorf("the lease after a dead runner's starts at %v, after its end %v and after now %v", next.First, end, next.Now)
	}
	for _, bad := range []struct {
		n              int
		interval, lead time.Duration
	}{{0, interval, 0}, {pacing.MaxLeaseSlots + 1, interval, 0}, {10, 0, 0}, {10, 7 * time.Second, 0}, {1, interval, -1}, {1, interval, 2 * time.Second}} {
		if _, err := store.LeaseSlots(ctx, hook.ID, bad.n, bad.interval, bad.lead); err == nil {
			t.Errorf("LeaseSlots(%d, %v, %v) granted, want an error", bad.n, bad.interval, bad.lead)
		}
	}
}

func TestLearnedPacingRoundTrip(t *testing.T) {
	ctx := context.Background()
	store, _ := controlplanetest.NewTxStore(t)
	hook := webhookConn("Learning")
	hook.Webhook.RateLimit = &controlplane.RateLimit{Mode: pacing.ModeAdaptive, MaxRequestsPerSecond: 500, MaxConcurrency: 32}
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	if st, err := store.LearnedPacing(ctx, hook.ID); err != nil || st != (pacing.State{}) {
		t.Fatalf("before any run: %+v, %v; want nothing learned", st, err)
	}
	if _, err := store.LeaseSlots(ctx, hook.ID, 5, pacing.Interval(50), 0); err != nil { // the row exists, nothing learned
		t.Fatal(err)
	}
	if st, err := store.LearnedPacing(ctx, hook.ID); err != nil || st != (pacing.State{}) {
		t.Fatalf("after a lease: %+v, %v; want nothing learned", st, err)
	}
	want := pacing.State{Rate: 187.5, Concurrency: 12}
	if err := store.SaveLearnedPacing(ctx, hook.ID, hook.UpdatedAt, want); err != nil {
		t.Fatal(err)
	}
	if st, err := store.LearnedPacing(ctx, hook.ID); err != nil || st != want {
		t.Fatalf("learned %+v, %v; want %+v", st, err, want)
	}
	got, err := store.GetConnection(ctx, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l := got.Webhook.Pacing(); l != (pacing.Limits{Mode: pacing.ModeAdaptive, MaxRate: 500, MaxConcurrency: 32}) {
		t.Errorf("limits %+v after a round trip", l)
	}
}

// BenchmarkLeaseSlots is the round trip a runner makes for every block of slots it leases (a
// block is 100 ms of the connection's rate): what sharing the rate costs a runner.
func BenchmarkLeaseSlots(b *testing.B) {
	ctx := context.Background()
	store, _, _ := controlplanetest.NewStore(b)
	hook := webhookConn("Lease cost")
	hook.Webhook.MaxRequestsPerSecond = 200
	if err := store.CreateConnection(ctx, hook); err != nil {
		b.Fatal(err)
	}
	interval := pacing.Interval(200)
	for b.Loop() {
		if _, err := store.LeaseSlots(ctx, hook.ID, 20, interval, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// The connection's limit is lowered (apply) while a runner's run still paces at the old one (a
// run reads its connection once, when it starts): the timeline holds every runner to the limit
// the control plane holds now, so a stale runner's requests and a current one's together stay
// within it. Counted: the slots the timeline granted the two (each request starts at one),
// at most the new limit in any second.
func TestLeaseSlotsHoldTheLimitAsChanged(t *testing.T) {
	ctx := context.Background()
	store, _, _ := controlplanetest.NewStore(t)
	hook := webhookConn("Lowered limit")
	hook.Webhook.MaxRequestsPerSecond = 200
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	granted := &grantedSlots{src: store.SlotSource(hook.ID)}
	stale := pacing.NewPacer(hook.Webhook.Pacing(), pacing.State{}, 4, granted)
	const limit = 50
	hook.Webhook.MaxRequestsPerSecond = limit
	if err := store.UpdateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	current := pacing.NewPacer(hook.Webhook.Pacing(), pacing.State{}, 4, granted)

	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, run := range []struct {
		p *pacing.Pacer
		n int
	}{{stale, 45}, {current, 15}} {
		for range 4 { // workers
			wg.Go(func() {
				for {
					mu.Lock()
					if run.n == 0 {
						mu.Unlock()
						return
					}
					run.n--
					mu.Unlock()
					done, _, err := run.p.Acquire(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					done(pacing.Answer{Status: 200})
				}
			})
		}
	}
	wg.Wait()
	slots := granted.all()
	if most := pacing.MostWithin(slots, time.Second); most > limit {
		t.Errorf("a second of the timeline holds %d of the %d slots granted a stale runner (its run began at 200/s) and a current one, want at most the new limit %d",
			most, len(slots), limit)
	}
}

// grantedSlots is a TokenSource that records the slots src grants.
type grantedSlots struct {
	src   pacing.TokenSource
	mu    sync.Mutex
	slots []time.Time
}

func (g *grantedSlots) Lease(ctx context.Context, n int, interval, lead time.Duration) (pacing.Lease, error) {
	l, err := g.src.Lease(ctx, n, interval, lead)
	if err != nil {
		return l, err
	}
	if l.N > 0 && l.Interval > 0 {
		n, interval = l.N, l.Interval
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range n {
		g.slots = append(g.slots, l.First.Add(time.Duration(i)*interval))
	}
	return l, nil
}

func (g *grantedSlots) all() []time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.slots)
}

// A runner pacing at its connection's limit is granted what it asks: the control plane's floor
// is pacing.Interval of the limit to the microsecond, never one more (rates whose
// (1 s + Jitter) / rate falls just past a whole microsecond: 2319, 4638, 8913).
func TestLeaseSlotsAtTheLimitGrantWhatIsAsked(t *testing.T) {
	ctx := context.Background()
	store, _ := controlplanetest.NewTxStore(t)
	for _, rate := range []int64{1, 3, 7, 50, 2319, 4638, 8913, pacing.MaxRequestsPerSecond} {
		hook := webhookConn(fmt.Sprintf("At %d/s", rate))
		hook.Webhook.MaxRequestsPerSecond = rate
		if err := store.CreateConnection(ctx, hook); err != nil {
			t.Fatal(err)
		}
		interval := pacing.Interval(float64(rate))
		n := max(int(100*time.Millisecond/interval), 1)
		l, err := store.LeaseSlots(ctx, hook.ID, n, interval, 0)
		if err != nil {
			t.Fatal(err)
		}
		if l.N != n || l.Interval != interval {
			t.Errorf("%d/s: asked %d slots %v apart, granted %d %v apart", rate, n, interval, l.N, l.Interval)
		}
	}
}

// A lease asked on a pooled session the control plane ended (pg_terminate_backend, an
// idle-session timeout, a proxy recycling its connections) is asked again on another one, as
// the run's other writes are: it failed the run's request that waited for it ("lease request
// slots of connection …: FATAL: terminating connection due to administrator command"). So are
// the read of the pace learned, which an adaptive run starts from (it failed the run), and its
// record at the run's end (lost, with a warning).
func TestPacingAfterPoolSessionsEnded(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, dbURL, _ := controlplanetest.NewStore(t)
	hook := webhookConn("Pacing on an ended session")
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	interval := pacing.Interval(200)
	admin := controlplanetest.Pool(t, dbURL)
	for name, call := range map[string]func() error{
		"lease": func() error { _, err := store.LeaseSlots(ctx, hook.ID, 10, interval, 0); return err },
		"record the pace learned": func() error {
			return store.SaveLearnedPacing(ctx, hook.ID, hook.UpdatedAt, pacing.State{Rate: 5, Concurrency: 2})
		},
		"read the pace learned": func() error {
			_, err := store.LearnedPacing(ctx, hook.ID)
			return err
		},
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
		endSessions(ctx, t, admin)
		if err := call(); err != nil {
			t.Errorf("%s after the pool's sessions were ended: %v", name, err)
		}
	}
}

// endSessions ends every other session of admin's database, and waits until they are gone.
func endSessions(ctx context.Context, t *testing.T, admin *pgxpool.Pool) {
	t.Helper()
	var ended []int32
	if err := admin.QueryRow(ctx, `SELECT coalesce(array_agg(pid), '{}') FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&ended); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid`, ended); err != nil {
		t.Fatalf("end the pool's sessions: %v", err)
	}
	if len(ended) == 0 {
		t.Fatal("no session of the store's pool to end")
	}
	controlplanetest.WaitFor(t, "the ended sessions to exit", func() bool {
		var left int
		err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)`, ended).Scan(&left)
		return err == nil && left == 0
	})
}
