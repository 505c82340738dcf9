package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// waiting reports whether produce waits for bytes to be released.
func (g *byteGate) waiting() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.freed != nil
}

// A run holds at most maxBytesInFlight of sealed batches, whatever its concurrency: produce
// passes no batch on while the batches it passed on and that are not back in the pool hold that
// much, and goes on once one is put back. Here nothing takes the batches but the test, which
// puts the oldest back only once produce waits; every batch is passed on, in order.
func TestRunHoldsBoundedBytesOfBatches(t *testing.T) {
	t.Parallel()
	const n = 3 * maxBytesInFlight / controlplane.MaxBatchBytes // batches of one record each
	p := &pipeline{size: 1000, batches: newBatchPool(0)}
	wide := append([]byte(`{"v":"`), bytes.Repeat([]byte("x"), controlplane.MaxBatchBytes-8)...)
	wide = append(wide, `"}`...)
	out := make(chan *batch, n)
	done := make(chan error, 1)
	go func() {
		done <- p.produce(context.Background(), func(ctx context.Context, emit func(*record) error) error {
			for i := range n {
				if err := emit(&record{kind: kindNew, key: []byte(fmt.Sprintf("%03d", i)), obj: wide}); err != nil {
					return err
				}
			}
			return nil
		}, out)
	}()

	var held []*batch
	heldBytes, got, most := 0, 0, 0
	for got < n {
		controlplanetest.WaitFor(t, "produce to pass a batch on or wait", func() bool {
			return len(out) > 0 || p.inFlight.waiting()
		})
		select {
		case b := <-out:
			if want := fmt.Sprintf("%03d", got); b.len() != 1 || b.keys[0] != want {
				t.Fatalf("batch %d holds %q, want %q alone", got, b.keys, want)
			}
			got++
			held = append(held, b)
			heldBytes += len(b.buf)
			most = max(most, heldBytes)
			if heldBytes > maxBytesInFlight {
				t.Fatalf("%d batches of %d bytes passed on and not put back, over the bound of %d",
					len(held), heldBytes, maxBytesInFlight)
			}
		default:
			heldBytes -= len(held[0].buf)
			p.putBack(held[0])
			held = held[1:]
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if most+len(wide) <= maxBytesInFlight {
		t.Errorf("at most %d bytes were held: produce waited with room for another batch", most)
	}
}

// A run stopped (or failed: its context canceled with the cause) while produce waits for bytes
// ends produce with the cause, and the batch it could not pass on holds none of the gate's: a
// stop that left produce waiting would leave the run, and its daemon's sync, running for good.
func TestProduceWaitingForBytesEndsWithTheRun(t *testing.T) {
	t.Parallel()
	p := &pipeline{size: 1000, batches: newBatchPool(0)}
	wide := append([]byte(`{"v":"`), bytes.Repeat([]byte("x"), controlplane.MaxBatchBytes-8)...)
	wide = append(wide, `"}`...)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	out := make(chan *batch, 1000)
	done := make(chan error, 1)
	go func() {
		done <- p.produce(ctx, func(ctx context.Context, emit func(*record) error) error {
			for i := 0; ; i++ {
				if err := emit(&record{kind: kindNew, key: []byte(fmt.Sprint(i)), obj: wide}); err != nil {
					return err
				}
			}
		}, out)
	}()
	controlplanetest.WaitFor(t, "produce to wait for bytes", p.inFlight.waiting)
	stop := errors.New("the run was stopped")
	cancel(stop)
	select {
	case err := <-done:
		if !errors.Is(err, stop) {
			t.Errorf("produce ended with %v, want %v", err, stop)
		}
	case <-time.After(time.Minute):
		t.Fatal("stuck: produce still waits for bytes a minute after the run was stopped")
	}
	held := 0
	for range len(out) {
		held += len((<-out).buf)
	}
	if p.inFlight.held != held {
		t.Errorf("the gate holds %d bytes, want %d: those of the %d batches passed on", p.inFlight.held, held, held/len(wide))
	}
}
