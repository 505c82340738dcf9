package runner

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// brokenLedger is a ledger whose stream ends with err after its first n entries, as the control
// plane's does when the read's session ends mid-stream (a statement timeout, a terminated
// backend, a failover).
type brokenLedger struct {
	memLedger
	n   int
	err error
}

func (l *brokenLedger) Next() bool { return l.i < l.n && l.memLedger.Next() }
func (l *brokenLedger) Err() error {
	if l.i >= l.n {
		return l.err
	}
	return nil
}

// TestDiffStopsWhenTheLedgerFails: a ledger read that fails mid-stream stops the diff at once,
// with its error, before it emits a record it would take for new: past the failure every key
// of the model looked absent from the ledger, and was sent as new, though delivered before and
// unchanged (an append sync sent keys it had sent already). With the control plane's role at
// statement_timeout = 20ms a run counted "new 353000, changed 47000" of 400,000 keys delivered
// before, 47,000 of them changed, and failed only after its diff, with "read the ledger:
// ERROR: canceling statement due to statement timeout (SQLSTATE 57014)".
func TestDiffStopsWhenTheLedgerFails(t *testing.T) {
	src := func() *memSource {
		s := &memSource{}
		for i := range 10 {
			k := fmt.Sprintf("user%02d", i)
			s.keys = append(s.keys, []byte(k))
			s.objs = append(s.objs, fmt.Appendf(nil, `{"unique_id":%q}`, k))
		}
		return s
	}
	m, err := newMapper(src().Columns(), nil, "unique_id")
	if err != nil {
		t.Fatal(err)
	}
	// The ledger: every key, delivered as the model has it now.
	var delivered memLedger
	if err := (&differ{behavior: controlplane.BehaviorUpdateOrCreate, m: m, counts: new(Counters)}).run(context.Background(), src(), nil,
		func(r *record) error {
			delivered.keys = append(delivered.keys, append([]byte(nil), r.key...))
			delivered.hashes = append(delivered.hashes, append([]byte(nil), r.hash[:]...))
			return nil
		}); err != nil {
		t.Fatal(err)
	}
	cut := errors.New("canceling statement due to statement timeout (SQLSTATE 57014)")
	for _, behavior := range []string{controlplane.BehaviorUpdateOrCreate, controlplane.BehaviorAppend, controlplane.BehaviorMirror} {
		t.Run(behavior, func(t *testing.T) {
			d := &differ{behavior: behavior, m: m, counts: new(Counters)}
			led := &brokenLedger{memLedger: memLedger{keys: delivered.keys, hashes: delivered.hashes}, n: 3, err: cut}
			var sent []string
			err := d.run(context.Background(), src(), led, func(r *record) error {
				sent = append(sent, fmt.Sprintf("%s:%s", r.key, kindNames[r.kind]))
				return nil
			})
			if !errors.Is(err, cut) {
				t.Errorf("the diff ended with %v, want the ledger's error", err)
			}
			if len(sent) != 0 {
				t.Errorf("the diff sent %v after the ledger failed: each was delivered before and is unchanged", sent)
			}
		})
	}
}
