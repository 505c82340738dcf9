package runner

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// answerCutter is a TCP proxy in front of the control plane that loses the answer to one
// statement the server carried out: once a client sends a statement holding marker, the
// server's reply holding answer is dropped and that client's connection closed (a network cut,
// a proxy recycling connections, after the server applied and committed the statement). Other
// connections, and that one's server side, go on as usual.
type answerCutter struct {
	URL    string // the control plane's URL, through the proxy
	marker []byte
	answer []byte

	mu   sync.Mutex
	cut  int  // answers dropped
	done bool // one was dropped: the proxy only forwards from now on
	// onCut, when set, is called once the answer is dropped, before the client hears of it.
	onCut func()
}

func newAnswerCutter(t *testing.T, dbURL, marker, answer string) *answerCutter {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	u.Host = ln.Addr().String()
	p := &answerCutter{URL: u.String(), marker: []byte(marker), answer: []byte(answer)}
	var conns sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range open {
			_ = c.Close()
		}
		mu.Unlock()
		conns.Wait()
	})
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				_ = client.Close()
				continue
			}
			mu.Lock()
			open = append(open, client, server)
			mu.Unlock()
			var armed sync.Mutex
			sent := false
			conns.Add(2)
			go func() { // client to server
				defer conns.Done()
				buf := make([]byte, 64<<10)
				for {
					n, err := client.Read(buf)
					if n > 0 {
						if bytes.Contains(buf[:n], p.marker) {
							armed.Lock()
							sent = true
							armed.Unlock()
						}
						if _, werr := server.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						_ = server.Close()
						return
					}
				}
			}()
			go func() { // server to client
				defer conns.Done()
				buf := make([]byte, 64<<10)
				dropping := false
				for {
					n, err := server.Read(buf)
					if n > 0 && !dropping {
						armed.Lock()
						hit := sent && bytes.Contains(buf[:n], p.answer)
						armed.Unlock()
						p.mu.Lock()
						if hit && !p.done {
							p.done, dropping = true, true
							p.cut++
						}
						p.mu.Unlock()
						if dropping {
							if p.onCut != nil {
								p.onCut()
							}
							_ = client.Close() // the server's side stays: it reads on, and commits
						} else if _, werr := client.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						_ = client.Close()
						return
					}
				}
			}()
		}
	}()
	return p
}

// cuts returns how many answers the proxy dropped.
func (p *answerCutter) cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut
}

// A failed notification attempt whose record the server made but whose answer was lost (the
// connection cut after the commit) is recorded again on another connection (onLiveSession): it
// must still count one attempt, not two, or the event is given up after half its attempts.
func TestNotificationFailedAttemptCountedOnceWhenItsAnswerIsLost(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.alertsSink()
	f.run(controlplane.RunSucceeded, RunOptions{})
	if _, err := f.store.QueueRunEvents(f.ctx, 10); err != nil {
		t.Fatal(err)
	}
	evs, err := f.store.ClaimEvents(f.ctx, 10, time.Minute)
	if err != nil || len(evs) != 1 {
		t.Fatalf("claimed %d events (%v), want 1", len(evs), err)
	}
	for i, c := range []struct {
		name    string
		retryIn time.Duration
	}{{"retried", time.Hour}, {"given up", 0}} {
		p := newAnswerCutter(t, f.cpURL, "attempts = attempts + 1", "UPDATE 1")
		store := controlplane.New(controlplanetest.Pool(t, p.URL), nil)
		ctx, cancel := context.WithTimeout(f.ctx, time.Minute)
		err := store.EventFailed(ctx, evs[0].ID, i, 503, "boom", c.retryIn)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: EventFailed hung", c.name)
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.cuts() != 1 {
			t.Fatalf("%s: the proxy lost %d answers, want 1: the test does not test", c.name, p.cuts())
		}
	}
	var attempts int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT attempts FROM backflow.notification_events WHERE id = $1`,
		evs[0].ID).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != 2 {
		t.Errorf("2 failed attempts recorded, each answer lost once, counted %d times", attempts)
	}
}

// A run's intents that the server recorded but whose answer was lost (the connection cut after
// the commit) are sent again on another connection (onLiveSession), which finds them recorded:
// the run goes on, as it does when the session ended before the statement ran. It failed, its
// records unsent, on the intents' primary key.
func TestRunIntentsRecordedOnceWhenTheirAnswerIsLost(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	p := newAnswerCutter(t, f.cpURL, "INSERT INTO backflow.sync_intents", "INSERT 0 ")
	sealer, err := controlplane.ParseKey(f.key)
	if err != nil {
		t.Fatal(err)
	}
	f.engine = newTestEngine(controlplane.New(controlplanetest.Pool(t, p.URL), sealer))
	run := f.run(controlplane.RunSucceeded, RunOptions{})
	if p.cuts() != 1 {
		t.Fatalf("the proxy lost %d answers, want 1: the test does not test", p.cuts())
	}
	if run.Counts.Delivered != 5 {
		t.Errorf("the run delivered %d records, want the model's 5", run.Counts.Delivered)
	}
}

// A run's end that the server recorded but whose answer was lost (the connection cut after the
// commit), while another runner took the sync over (the fence moved on before the end was tried
// again, which then finds the lock lost), is the end its record has: the run returned canceled
// and counted so in backflow_runs_total, and handed its job back to be run again, when its record
// says succeeded.
func TestRunEndRecordedThoughItsAnswerIsLostAndTheSyncTakenOver(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	p := newAnswerCutter(t, f.cpURL, "resent_after_conflict = $17", "COMMIT\x00")
	admin := controlplanetest.Pool(t, f.cpURL)
	p.onCut = func() {
		if _, err := admin.Exec(context.Background(), `UPDATE backflow.sync_fences SET token = token + 1 WHERE sync_id = $1`,
			f.sync.ID); err != nil {
			t.Errorf("move the fence on: %v", err)
		}
	}
	sealer, err := controlplane.ParseKey(f.key)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(controlplane.New(controlplanetest.Pool(t, p.URL), sealer))
	run, runErr := e.Run(f.ctx, f.sync.ID, RunOptions{})
	if p.cuts() != 1 {
		t.Fatalf("the proxy lost %d answers, want 1: the test does not test", p.cuts())
	}
	if run == nil {
		t.Fatalf("no run: %v", runErr)
	}
	stored, err := f.store.GetRun(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != stored.Status || (runErr == nil) != (stored.Status == controlplane.RunSucceeded) {
		t.Errorf("returned %s (error %v), stored %s", run.Status, runErr, stored.Status)
	}
}

// A lease of shared-pacing slots that the server granted but whose answer was lost (the
// connection cut after the commit) is asked again on another connection (onLiveSession) and
// granted again, after the lost one: the lease is not idempotent, and the lost lease's slots go
// by unused, as a dead runner's do, but no slot is granted twice and the lease does not fail
// the run's request waiting for it.
func TestSlotLeaseGrantedAfterTheLostOneWhenItsAnswerIsLost(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	p := newAnswerCutter(t, f.cpURL, "INSERT INTO backflow.connection_pacing AS p (connection_id, next_slot)", "INSERT 0 1")
	store := controlplane.New(controlplanetest.Pool(t, p.URL), nil)
	ctx, cancel := context.WithTimeout(f.ctx, time.Minute)
	defer cancel()
	// A lease as long as one may be: the one asked again comes well within it.
	n, interval := 600, 100*time.Millisecond
	l, err := store.SlotSource(f.dest.ID).Lease(ctx, n, interval, 0)
	if err != nil {
		t.Fatalf("a lease whose answer was lost: %v", err)
	}
	if p.cuts() != 1 {
		t.Fatalf("the proxy lost %d answers, want 1: the test does not test", p.cuts())
	}
	span := time.Duration(n) * interval
	// The lost lease ran from before the one granted again was asked to where it starts.
	if lost := l.First.Add(-span); lost.After(l.Now) {
		t.Errorf("the lease granted again starts at %v, more than a lease after its grant at %v: it did not follow the lost one", l.First, l.Now)
	}
	if !l.First.After(l.Now) {
		t.Errorf("the lease granted again starts at %v, at its grant (%v): inside the lost lease, whose slots it gave twice", l.First, l.Now)
	}
	next, err := f.store.LeaseSlots(ctx, f.dest.ID, 1, interval, 0)
	if err != nil {
		t.Fatal(err)
	}
	if end := l.First.Add(span); !next.First.Equal(end) {
		t.Errorf("the lease after it starts at %v, want where it ends, %v", next.First, end)
	}
}
