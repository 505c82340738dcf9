package runner

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Guards: a run that would exceed its sync's guard sends nothing, not even what comes before the
// threshold. So a guarded run knows its whole diff before it sends: it diffs into a buffer (maxGuardBuffer), and
// when the whole diff fits there (runs that change little: nothing changed, a few updates) it
// checks the guard and then sends from the buffer, reading the model once. A diff too large for
// the buffer goes on counting only; if the guard passes, the run reads the model again and sends
// as an unguarded run does.

// maxGuardBuffer bounds the bytes of records a guarded run holds before it switches to counting.
var maxGuardBuffer = 16 << 20 // a var: tests lower it

// guardCanTrip reports whether a run could exceed g, and so must know its whole diff before it
// sends. A run that finds the ledger empty (a first run) deletes and changes nothing: only
// min_model_rows can stop it. (A marking run sends nothing and is not checked at all.)
func guardCanTrip(g controlplane.Guard, ledgerEmpty bool) bool {
	if ledgerEmpty {
		return g.MinModelRows != nil
	}
	return g.Active()
}

// guardBuffer holds the records a diff decided to send: keys and objects back to back in arena.
type guardBuffer struct {
	arena []byte
	recs  []bufferedRecord
	over  bool // the diff did not fit: records were counted, not kept
}

type bufferedRecord struct {
	kind   int
	stored bool
	keyEnd int // key: arena[previous objEnd:keyEnd], object: arena[keyEnd:objEnd]
	objEnd int
	hash   [controlplane.HashSize]byte
}

func (g *guardBuffer) add(r *record) error {
	if g.over {
		return nil
	}
	if len(g.arena)+len(r.key)+len(r.obj) > maxGuardBuffer {
		g.over, g.arena, g.recs = true, nil, nil
		return nil
	}
	g.arena = append(g.arena, r.key...)
	keyEnd := len(g.arena)
	g.arena = append(g.arena, r.obj...)
	g.recs = append(g.recs, bufferedRecord{kind: r.kind, stored: r.stored, keyEnd: keyEnd, objEnd: len(g.arena), hash: r.hash})
	return nil
}

// replay emits the buffered records in the order the diff found them.
func (g *guardBuffer) replay(ctx context.Context, emit func(*record) error) error {
	var r record
	start := 0
	for i, b := range g.recs {
		if i&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		r = record{kind: b.kind, stored: b.stored, key: g.arena[start:b.keyEnd], obj: g.arena[b.keyEnd:b.objEnd], hash: b.hash}
		start = b.objEnd
		if err := emit(&r); err != nil {
			return err
		}
	}
	return nil
}

// guardTrip says which bound of g a run with counts c over a ledger of ledgerKeys keys exceeds,
// or "" when it exceeds none. A full run resends every record on purpose: max_changed_percent
// does not apply to it.
func guardTrip(g controlplane.Guard, c controlplane.RunCounts, ledgerKeys int64, full bool) string {
	pct := func(n int64) float64 {
		if ledgerKeys == 0 {
			return 0
		}
		return float64(n) * 100 / float64(ledgerKeys)
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	switch {
	case g.MinModelRows != nil && c.Extracted < *g.MinModelRows:
		return fmt.Sprintf("the model returned %d rows, fewer than min_model_rows = %d", c.Extracted, *g.MinModelRows)
	case g.MaxDeleted != nil && c.Deleted > *g.MaxDeleted:
		return fmt.Sprintf("the run would delete %d records, more than max_deleted = %d", c.Deleted, *g.MaxDeleted)
	case g.MaxDeletedPercent != nil && c.Deleted > 0 && pct(c.Deleted) > *g.MaxDeletedPercent:
		return fmt.Sprintf("the run would delete %d of the %d keys delivered before it (%s%%), more than max_deleted_percent = %s",
			c.Deleted, ledgerKeys, num(round1(pct(c.Deleted))), num(*g.MaxDeletedPercent))
	case g.MaxChangedPercent != nil && !full && c.Changed > 0 && pct(c.Changed) > *g.MaxChangedPercent:
		return fmt.Sprintf("the run would change %d of the %d keys delivered before it (%s%%), more than max_changed_percent = %s",
			c.Changed, ledgerKeys, num(round1(pct(c.Changed))), num(*g.MaxChangedPercent))
	}
	return ""
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

// errBlocked is a run stopped by its guard; Run records it as RunBlocked.
type errBlocked struct {
	sync, why string
	isDefault bool
}

func (e *errBlocked) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "blocked by the sync's guard, nothing was sent: %s", e.why)
	if e.isDefault {
		b.WriteString(" (the default guard of a mirror sync; set guard on the sync to change it)")
	}
	fmt.Fprintf(&b, ". If this is what you want, send it once with `backflow-runner sync %q --accept-guard`, "+
		"or change the sync's guard", e.sync)
	return b.String()
}

// reset zeroes what the diff counts, for a guarded run that diffs a second time.
func (c *Counters) reset() {
	for _, n := range []*atomic.Int64{&c.Extracted, &c.Invalid, &c.New, &c.Changed, &c.Deleted} {
		n.Store(0)
	}
}
