package runner

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// An adaptive connection's pace is recorded with the run, and what it learned is where the next
// run to the connection starts, in any runner.
func TestAdaptivePaceIsRecordedAndLearned(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.dest.Webhook.RateLimit = &controlplane.RateLimit{Mode: pacing.ModeAdaptive, MaxConcurrency: 8}
	if err := f.store.UpdateConnection(f.ctx, f.dest); err != nil {
		t.Fatal(err)
	}
	// The endpoint states its policy: 50 requests a second.
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.Header().Set("RateLimit-Policy", "50;w=1")
		return false // accepted, with the header
	})
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Fatalf("sent %v, want the 5 users", got)
	}
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.PaceRate != 50 || stored.PaceConcurrency < 1 || stored.PaceConcurrency > 8 {
		t.Errorf("run recorded pace %v/s with %d in flight, want the stated 50/s and 1 to 8", stored.PaceRate, stored.PaceConcurrency)
	}
	learned, err := f.store.LearnedPacing(f.ctx, f.dest.ID)
	if err != nil || learned.Rate != 50 {
		t.Fatalf("learned %+v (%v), want rate 50", learned, err)
	}
	// Another runner (a new engine) starts the connection at what was learned.
	other := &Engine{Store: f.store, Logger: slog.New(slog.DiscardHandler)}
	p, err := other.pacer(f.ctx, f.dest)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rate() != 50 {
		t.Errorf("a new runner starts at %v/s, want the learned 50/s", p.Rate())
	}
}

func TestFixedPaceIsRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.dest.Webhook.MaxRequestsPerSecond = 1000
	if err := f.store.UpdateConnection(f.ctx, f.dest); err != nil {
		t.Fatal(err)
	}
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's engine sends with concurrency 2.
	if stored.PaceRate != 1000 || stored.PaceConcurrency != 2 || stored.PaceText() != "1000 requests/s, 2 in flight" {
		t.Errorf("run recorded pace %q (%v/s, %d), want 1000 requests/s, 2 in flight", stored.PaceText(), stored.PaceRate, stored.PaceConcurrency)
	}
	if learned, err := f.store.LearnedPacing(f.ctx, f.dest.ID); err != nil || learned != (pacing.State{}) {
		t.Errorf("fixed mode learned %+v (%v), want nothing", learned, err)
	}
}

// A connection whose URL changes is a new endpoint: neither the pace learned from the old one
// (stored, or in a runner's pacer) nor its quota pause carries over, and a run that learned
// from the old URL and ends after the change does not record it.
func TestChangedEndpointStartsPacingAfresh(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.dest.Webhook.RateLimit = &controlplane.RateLimit{Mode: pacing.ModeAdaptive, MaxConcurrency: 8}
	if err := f.store.UpdateConnection(f.ctx, f.dest); err != nil {
		t.Fatal(err)
	}
	old := *f.dest
	e := &Engine{Store: f.store, Logger: slog.New(slog.DiscardHandler), LocalPacing: true}
	p, err := e.pacer(f.ctx, &old)
	if err != nil {
		t.Fatal(err)
	}
	// The old endpoint says its quota is spent for two hours, and a run learned 2 requests/s.
	done, _, err := p.Acquire(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	done(pacing.Answer{Status: http.StatusOK, Header: http.Header{
		"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"7200"}}})
	if err := f.store.SaveLearnedPacing(f.ctx, old.ID, old.UpdatedAt, pacing.State{Rate: 2, Concurrency: 1}); err != nil {
		t.Fatal(err)
	}

	moved := *f.dest
	wh := *f.dest.Webhook
	wh.URL += "/v2"
	moved.Webhook = &wh
	if err := f.store.UpdateConnection(f.ctx, &moved); err != nil {
		t.Fatal(err)
	}
	// The old run ends after the change and tries to record what it learned.
	if err := f.store.SaveLearnedPacing(f.ctx, old.ID, old.UpdatedAt, pacing.State{Rate: 3, Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	if learned, err := f.store.LearnedPacing(f.ctx, f.dest.ID); err != nil || learned != (pacing.State{}) {
		t.Errorf("after the URL changed, the stored pace is %+v (%v), want none", learned, err)
	}
	for name, eng := range map[string]*Engine{"same runner": e, "other runner": {Store: f.store, Logger: slog.New(slog.DiscardHandler), LocalPacing: true}} {
		p, err := eng.pacer(f.ctx, &moved)
		if err != nil {
			t.Fatal(err)
		}
		if r := p.Rate(); r != pacing.DefaultStartRate {
			t.Errorf("%s: the new URL starts at %v requests/s, want the default start %d", name, r, pacing.DefaultStartRate)
		}
		done, _, err := p.Acquire(f.ctx)
		if err != nil {
			t.Errorf("%s: the new URL's first request: %v, want it sent", name, err)
			continue
		}
		done(pacing.NotSent)
	}
}

// A connection's rate_limit changes (apply) while a run to it goes on in a daemon: the run's
// pacer follows the new limits at once, and the next run shares it (one pacer per connection in
// a runner, so max_concurrency is one bound, not one per rate_limit the runner has seen).
func TestChangedRateLimitAppliesToRunsUnderWay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.dest.Webhook.RateLimit = &controlplane.RateLimit{Mode: pacing.ModeFixed, MaxRequestsPerSecond: 200, MaxConcurrency: 8}
	if err := f.store.UpdateConnection(f.ctx, f.dest); err != nil {
		t.Fatal(err)
	}
	e := &Engine{Store: f.store, Logger: slog.New(slog.DiscardHandler), LocalPacing: true}
	before, err := e.pacer(f.ctx, f.dest) // the run under way's
	if err != nil {
		t.Fatal(err)
	}
	for _, rl := range []*controlplane.RateLimit{
		{Mode: pacing.ModeFixed, MaxRequestsPerSecond: 50, MaxConcurrency: 2},
		{Mode: pacing.ModeAdaptive, MaxRequestsPerSecond: 20, MaxConcurrency: 3},
		{Mode: pacing.ModeFixed, MaxRequestsPerSecond: 10, MaxConcurrency: 1},
	} {
		changed := *f.dest
		wh := *f.dest.Webhook
		wh.RateLimit = rl
		changed.Webhook = &wh
		if err := f.store.UpdateConnection(f.ctx, &changed); err != nil {
			t.Fatal(err)
		}
		next, err := e.pacer(f.ctx, &changed) // a run starting now
		if err != nil {
			t.Fatal(err)
		}
		for name, p := range map[string]*pacing.Pacer{"the run under way": before, "the next run": next} {
			if p.MaxConcurrency() > int(rl.MaxConcurrency) || p.Rate() > float64(rl.MaxRequestsPerSecond) {
				t.Errorf("rate_limit %+v: %s paces at %v requests/s, up to %d in flight", *rl, name, p.Rate(), p.MaxConcurrency())
			}
		}
	}
}
