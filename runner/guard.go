package runner

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/printable"
	"github.com/backflowhq/terraform-provider-backflow/internal/tempfile"
)

// Guards: a run that would exceed its sync's guard sends nothing, not even what comes before the
// threshold. So a guarded run knows its whole diff before it sends: it diffs into a buffer,
// checks the guard, and then sends from the buffer, reading the model once. The buffer holds
// maxGuardBuffer bytes of records in memory and spills the rest to a temporary file (deleted as
// soon as it is created), so what is sent is exactly the diff that was checked.

// maxGuardBuffer bounds the bytes of records a guarded run holds in memory.
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

// incrementalGuard is the part of g that applies to an incremental read (see cursor.go), whose
// counts are over the rows read: max_changed_percent, measured against the keys the ledger held
// after the previous run. min_model_rows and max_deleted_percent are about the whole model, so
// they apply to full reads only; max_deleted cannot trip (an incremental read deletes nothing).
func incrementalGuard(g controlplane.Guard) controlplane.Guard {
	return controlplane.Guard{MaxChangedPercent: g.MaxChangedPercent}
}

// guardBuffer holds the records a diff decided to send, in order: the first in memory (keys and
// objects back to back in arena), the rest in a temporary file.
type guardBuffer struct {
	arena []byte
	recs  []bufferedRecord
	file  *tempfile.File // the spilled records, if any
	w     *bufio.Writer  // writes to file
	enc   []byte         // scratch
}

type bufferedRecord struct {
	kind      int
	stored    bool
	hasCursor bool
	keyEnd    int // key: arena[previous objEnd:keyEnd], cursor: arena[keyEnd:cursorEnd], object: arena[cursorEnd:objEnd]
	cursorEnd int
	objEnd    int
	hash      [controlplane.HashSize]byte
}

func (g *guardBuffer) add(r *record) error {
	if g.file == nil && len(g.arena)+len(r.key)+len(r.cursor)+len(r.obj) <= maxGuardBuffer {
		g.arena = append(g.arena, r.key...)
		keyEnd := len(g.arena)
		g.arena = append(g.arena, r.cursor...)
		cursorEnd := len(g.arena)
		g.arena = append(g.arena, r.obj...)
		g.recs = append(g.recs, bufferedRecord{kind: r.kind, stored: r.stored, hasCursor: r.cursor != nil, keyEnd: keyEnd,
			cursorEnd: cursorEnd, objEnd: len(g.arena), hash: r.hash})
		return nil
	}
	if g.file == nil {
		f, err := tempfile.Create("backflow-guard-*")
		if err != nil {
			return spillErr(err)
		}
		g.file, g.w = f, bufio.NewWriterSize(f, 1<<20)
	}
	// kind, stored (bit 0) and has a cursor value (bit 1), hash, uvarint key length, key, uvarint
	// cursor value length, cursor value, uvarint object length, object
	e := append(g.enc[:0], byte(r.kind), 0)
	if r.stored {
		e[1] |= 1
	}
	if r.cursor != nil {
		e[1] |= 2
	}
	e = append(e, r.hash[:]...)
	e = binary.AppendUvarint(e, uint64(len(r.key)))
	e = append(e, r.key...)
	e = binary.AppendUvarint(e, uint64(len(r.cursor)))
	e = append(e, r.cursor...)
	e = binary.AppendUvarint(e, uint64(len(r.obj)))
	g.enc = e
	if _, err := g.w.Write(e); err != nil {
		return spillErr(err)
	}
	if _, err := g.w.Write(r.obj); err != nil {
		return spillErr(err)
	}
	return nil
}

// spillErr is an error in writing a guarded run's diff to its temporary file.
func spillErr(err error) error {
	return tempfile.Explain(fmt.Sprintf("a guarded run keeps the records it is to send beyond the first %d MB in a temporary file as large as them",
		maxGuardBuffer>>20), err)
}

// replay emits the buffered records in the order the diff found them.
func (g *guardBuffer) replay(ctx context.Context, emit func(*record) error) error {
	var r record
	start := 0
	for i, b := range g.recs {
		if i&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		r = record{kind: b.kind, stored: b.stored, key: g.arena[start:b.keyEnd], obj: g.arena[b.cursorEnd:b.objEnd], hash: b.hash}
		if b.hasCursor {
			r.cursor = g.arena[b.keyEnd:b.cursorEnd:b.cursorEnd]
		}
		start = b.objEnd
		if err := emit(&r); err != nil {
			return err
		}
	}
	if g.file == nil {
		return nil
	}
	if err := g.w.Flush(); err != nil {
		return spillErr(err)
	}
	if _, err := g.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("read back a guarded run's diff: %w", err)
	}
	br := bufio.NewReaderSize(g.file, 1<<20)
	var head [2 + controlplane.HashSize]byte
	var key, cursor, obj []byte
	for i := 0; ; i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := io.ReadFull(br, head[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("read back a guarded run's diff: %w", err)
		}
		var err error
		if key, err = readChunk(br, key); err != nil {
			return err
		}
		if cursor, err = readChunk(br, cursor); err != nil {
			return err
		}
		if obj, err = readChunk(br, obj); err != nil {
			return err
		}
		r = record{kind: int(head[0]), stored: head[1]&1 != 0, key: key, obj: obj}
		if head[1]&2 != 0 {
			r.cursor = cursor[:len(cursor):len(cursor)]
			if r.cursor == nil { // never nil: "" is a value
				r.cursor = []byte{}
			}
		}
		copy(r.hash[:], head[2:])
		if err := emit(&r); err != nil {
			return err
		}
	}
}

func readChunk(br *bufio.Reader, buf []byte) ([]byte, error) {
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, fmt.Errorf("read back a guarded run's diff: %w", err)
	}
	buf = slices.Grow(buf[:0], int(n))[:n]
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil, fmt.Errorf("read back a guarded run's diff: %w", err)
	}
	return buf, nil
}

// close releases the temporary file, if any.
func (g *guardBuffer) close() {
	if g.file != nil {
		_ = g.file.Close()
	}
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
	case g.MinModelRows != nil && c.Extracted-c.Invalid < *g.MinModelRows:
		return fmt.Sprintf("the model returned %d rows with a valid key (%d rows, %d invalid), fewer than min_model_rows = %d",
			c.Extracted-c.Invalid, c.Extracted, c.Invalid, *g.MinModelRows)
	case g.MaxDeleted != nil && c.Deleted > *g.MaxDeleted:
		return fmt.Sprintf("the run would delete %d records, more than max_deleted = %d", c.Deleted, *g.MaxDeleted) +
			noKeyInCommon(c, ledgerKeys)
	case g.MaxDeletedPercent != nil && c.Deleted > 0 && pct(c.Deleted) > *g.MaxDeletedPercent:
		return fmt.Sprintf("the run would delete %d of the %d keys delivered before it (%s%%), more than max_deleted_percent = %s",
			c.Deleted, ledgerKeys, shownPercent(pct(c.Deleted), *g.MaxDeletedPercent), num(*g.MaxDeletedPercent)) + noKeyInCommon(c, ledgerKeys)
	case g.MaxChangedPercent != nil && !full && c.Changed > 0 && pct(c.Changed) > *g.MaxChangedPercent:
		return fmt.Sprintf("the run would change %d of the %d keys delivered before it (%s%%), more than max_changed_percent = %s",
			c.Changed, ledgerKeys, shownPercent(pct(c.Changed), *g.MaxChangedPercent), num(*g.MaxChangedPercent))
	}
	return ""
}

// noKeyInCommon says, of a run whose deletes a guard stopped, when the model has rows and not
// one of their keys was delivered before while every key delivered before is gone: what a
// change of the key's text looks like (its column's type altered, integer to numeric(10,2): 1 is
// now 1.00; or the model computing it otherwise), as well as a model whose rows were all
// replaced. Accepting such a run deletes every record and creates it again under its new key, in
// separate requests in no set order, so a receiver that reads both keys as one value may end
// without it (docs/warehouses.md, "Keys are their text"). "" otherwise.
func noKeyInCommon(c controlplane.RunCounts, ledgerKeys int64) string {
	valid := c.Extracted - c.Invalid
	if valid <= 0 || ledgerKeys <= 0 || c.New != valid || c.Deleted != ledgerKeys {
		return ""
	}
	return fmt.Sprintf("; none of the model's %d keys is among the %d delivered before: if they are the same rows, "+
		"their key's text changed (the key column's type: 1 became 1.00; or the model's SQL for it), and accepting this run "+
		"deletes every record and creates it again under its new key, in no set order, so the endpoint may end without it: "+
		"make the model's key text what it was (id::bigint), or take the new keys as delivered without sending anything "+
		"(a run with --mark-delivered --yes)", valid, ledgerKeys)
}

// keyTextChanged is what a preview says of a run whose model has rows with a valid key and not
// one of them was delivered before (inCommon: the model's keys found in the ledger, those that
// may have been delivered included, which a run counts new as it creates them again), while the
// sync delivered keys before: as noKeyInCommon (a
// mirror's guard says it when it blocks the run), also of an update_or_create run, which sends
// each record again as new under a key the endpoint does not hold, beside the record it holds
// under the old one, and which no guard stops (it deletes and changes nothing). Not of an append
// sync: its model is often a window of recent events, whose keys are all new at each run. ""
// otherwise.
func keyTextChanged(behavior string, c controlplane.RunCounts, ledgerKeys, inCommon int64) string {
	valid := c.Extracted - c.Invalid
	if behavior == controlplane.BehaviorAppend || valid <= 0 || ledgerKeys <= 0 || inCommon != 0 {
		return ""
	}
	then := "the run sends every record as new under its new key, beside the record the endpoint holds under the old one, " +
		"which no run deletes"
	if behavior == controlplane.BehaviorMirror {
		then = "the run deletes every record and creates it again under its new key, in no set order, so the endpoint may end " +
			"without it"
	}
	return fmt.Sprintf("none of the model's %d keys is among the %d the sync delivered before: if they are the same rows, "+
		"their key's text changed (the key column's type: 1 became 1.00; or the model's SQL for it), and %s. Make the model's "+
		"key text what it was (id::bigint), or take the new keys as delivered without sending anything (a run with "+
		"--mark-delivered --yes)", valid, ledgerKeys, then)
}

// acceptGuardFlags are the flags of the run that sends what a blocked run (or a dry run) would
// have: a --full run's are --full too, since without it a run diffs (a cursor sync's reads only
// the rows after its mark, and sends no deletes).
func acceptGuardFlags(full bool) string {
	if full {
		return "--full --accept-guard"
	}
	return "--accept-guard"
}

// shownPercent is percentage p, which exceeds bound, as a guard's message shows it: with one
// decimal, or as many more as it takes to show it above the bound (10.04 over a bound of 10, not
// 10, which reads as a run blocked for nothing).
func shownPercent(p, bound float64) string {
	var s string
	for n := 1; n <= 12; n++ {
		s = strings.TrimRight(strings.TrimRight(strconv.FormatFloat(p, 'f', n, 64), "0"), ".")
		if v, err := strconv.ParseFloat(s, 64); err == nil && v > bound {
			break
		}
	}
	return s
}

// NothingToAccept says an --accept-guard run found no blocked run to accept (see acceptedRun).
const NothingToAccept = "--accept-guard: there is no blocked run to accept (the sync's last run was not blocked, " +
	"or a run since answered it: one that succeeded or delivered records): this run is guarded like any other (if it is blocked, " +
	"--accept-guard then accepts it)"

// acceptedRun is the run --accept-guard accepts: the sync's newest run that succeeded or was
// blocked (controlplane.Store.NewestSettledRun: runs queued, running, skipped or canceled showed
// no counts to accept, and a failed one, such as an --accept-guard run the endpoint did not
// answer, leaves the block as it was), when it was blocked by the guard; nil when it was not
// (a blocked run that a later run succeeded after is not accepted: there is nothing to accept,
// and the run is guarded like any other, NothingToAccept). The run it starts sends only if it deletes and changes no
// more records than that blocked run said it would (acceptedTrip): the operator accepts what the
// blocked run showed, not whatever the warehouse holds by the time they answer. Run looks it up
// once, before it waits for the sync's lock, so that a run ending meanwhile (another operator's
// --accept-guard of the same blocked run) does not leave this one nothing to accept, and a run
// blocked meanwhile, which the operator was not shown, is not accepted.
func (e *Engine) acceptedRun(ctx context.Context, syncID int64) (*controlplane.Run, error) {
	r, err := e.Store.NewestSettledRun(ctx, syncID)
	switch {
	case errors.Is(err, controlplane.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case r.Status != controlplane.RunBlocked:
		return nil, nil
	}
	return r, nil
}

// acceptsKind refuses, before anything runs, an --accept-guard run without --full of a --full
// run's block b (trigger full), which only a --full run sends: a run without --full diffs (a
// sync with a cursor reads incrementally) and does not send what b held back, yet its success
// answered b, so the `--full --accept-guard` b's message names then found nothing to accept and
// was blocked again. nil when b is nil or not a --full run's, or for a --full or marking run. (A
// --full run accepting a run's block is not refused: it sends every record, none of the
// deletes, and a later run's deletes are checked by the guard.)
func acceptsKind(y *controlplane.Sync, b *controlplane.Run, opts RunOptions) error {
	if b == nil || opts.MarkDelivered || opts.Full || b.Trigger != controlplane.TriggerFull {
		return nil
	}
	return fmt.Errorf("sync %q: nothing was run: blocked run %d, which --accept-guard accepts, was a --full run, and only "+
		"a --full run sends what it held back: accept it with `backflow-runner sync %s %s`",
		y.Name, b.ID, printable.ShellWord(y.Name), acceptGuardFlags(true))
}

// acceptedNow is the blocked run an --accept-guard run accepts once it holds the sync's lock:
// seen, the one Run found before it waited for the lock, and no other (nil: none was blocked
// then, and a run blocked while this one waited is not accepted: the operator was not shown it).
// Unless a run since seen answered it (controlplane.Store.AnsweredSince: another operator's
// --accept-guard of it, which sent what it showed, or a run that found the warehouse whole
// again, succeeded; or an --accept-guard of it that delivered part of it and failed or was
// canceled): the block
// is accepted once, so this run accepts none and is
// checked by the guard as a run without --accept-guard; answered then says so, for the message
// of a run the guard blocks.
func (e *Engine) acceptedNow(ctx context.Context, syncID int64, seen *controlplane.Run) (*controlplane.Run, string, error) {
	if seen == nil {
		return nil, "", nil
	}
	since, err := e.Store.AnsweredSince(ctx, syncID, seen.ID)
	if err != nil || !since {
		return seen, "", err
	}
	return nil, fmt.Sprintf("blocked run %d, which this --accept-guard run was to accept, was answered by a run since "+
		"that succeeded or delivered records (`runs` shows it), so this run was checked by the guard", seen.ID), nil
}

// acceptedTrip says why a run with counts c goes past what blocked run b showed, which
// --accept-guard accepted: fewer rows, more deletes, or more changes, than b counted and than
// guard g (over ledgerKeys, as guardTrip) allows on its own; "" when it does not. Fewer rows are
// checked by min_model_rows (a model that lost rows since, counted as rows, not only through
// its deletes: a --full run deletes nothing, and the rows lost may be ones b was to create),
// more deletes by g's bounds on deletes and min_model_rows (b's rows may be an incremental
// read's, fewer than a full read's), more changes by max_changed_percent: a count within them is
// what a run without --accept-guard sends too, so a model whose records change between the
// blocked run and the answer (a live table, a guard without max_changed_percent) is not refused
// for it at every answer.
func acceptedTrip(b *controlplane.Run, c controlplane.RunCounts, g controlplane.Guard, ledgerKeys int64, full bool) string {
	deletes := controlplane.Guard{MaxDeleted: g.MaxDeleted, MaxDeletedPercent: g.MaxDeletedPercent, MinModelRows: g.MinModelRows}
	rows := controlplane.Guard{MinModelRows: g.MinModelRows}
	changes := controlplane.Guard{MaxChangedPercent: g.MaxChangedPercent}
	switch {
	case c.Extracted-c.Invalid < b.Counts.Extracted-b.Counts.Invalid && guardTrip(rows, c, ledgerKeys, full) != "":
		return fmt.Sprintf("%s, and fewer than the %d of blocked run %d that --accept-guard accepts (the warehouse changed since)",
			guardTrip(rows, c, ledgerKeys, full), b.Counts.Extracted-b.Counts.Invalid, b.ID)
	case c.Deleted > b.Counts.Deleted && guardTrip(deletes, c, ledgerKeys, full) != "":
		return fmt.Sprintf("the run would delete %d records, more than the %d of blocked run %d that --accept-guard accepts "+
			"(the warehouse changed since)", c.Deleted, b.Counts.Deleted, b.ID)
	case c.Changed > b.Counts.Changed && guardTrip(changes, c, ledgerKeys, full) != "":
		return fmt.Sprintf("the run would change %d records, more than the %d of blocked run %d that --accept-guard accepts "+
			"(the warehouse changed since)", c.Changed, b.Counts.Changed, b.ID)
	}
	return ""
}

// errBlocked is a run stopped by its guard; Run records it as RunBlocked.
type errBlocked struct {
	sync, why string
	isDefault bool
	full      bool // a --full run: only a --full run sends what it would have
}

func (e *errBlocked) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "blocked by the sync's guard, nothing was sent: %s", e.why)
	if e.isDefault {
		b.WriteString(" (the default guard of a mirror sync; set guard on the sync to change it)")
	}
	fmt.Fprintf(&b, ". If this is what you want, send it once with `backflow-runner sync %s %s`, "+
		"or change the sync's guard", printable.ShellWord(e.sync), acceptGuardFlags(e.full))
	return b.String()
}

// marks reports whether a run of y with opts records the model's records as delivered without
// sending them: asked for (--mark-delivered), or a skip_existing sync whose runs so far all did
// (store.OnlyMarkRuns). A full run sends.
func (e *Engine) marks(ctx context.Context, y *controlplane.Sync, opts RunOptions) (bool, error) {
	if opts.MarkDelivered {
		return true, nil
	}
	if opts.Full || y.Initial != controlplane.InitialSkipExisting {
		return false, nil
	}
	return e.Store.OnlyMarkRuns(ctx, y.ID)
}
