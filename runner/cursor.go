package runner

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

// Incremental reads. A sync with a cursor (a model column that grows when a row changes, such
// as updated_at) reads, on most runs, only the rows whose cursor is at or after its mark (the
// highest cursor value its last successful run read) minus its lookback, and rows whose cursor
// is NULL. The ledger still decides what is new, changed or unchanged, so a row read twice is
// sent once. Such a read sees only some keys, so it diffs only those (looking each up in the
// ledger) and sends no deletes. A full read, which finds a mirror sync's deletes and anything a
// cursor missed (a row whose cursor went backwards, one that arrived later than the lookback),
// happens when:
//   - the sync has no mark yet, or its definition changed since the mark was taken (model,
//     primary key, mappings, send_nulls, cursor, destination, behavior, or the model's columns as last
//     described: a column added, dropped or of another type changes rows without moving their
//     cursor, and a mark of a cursor column whose type changed is no bound for the new type's
//     values; a type as Describe names it, so not a change of precision alone, MySQL's
//     DATETIME to DATETIME(6)), or the columns an incremental read returns are not those the
//     run that saved the mark read (openPlanned): the mark says nothing about the new definition's records. A
//     run of another definition, or without a cursor, drops the
//     mark when it plans its read (SyncLease.RecordRead): it writes the ledger under its own
//     definition, so the mark stays invalid when the definition comes back to the mark's (a
//     mark of a release before 5 Dec 2026, whose digest had no columns, holds while the model
//     was not written since the last full read: legacyMarkHolds);
//   - the model's warehouse connection was written since the last full read started (its URL,
//     database or init_sql changed in place, or only a timeout or its name: Connection.UpdatedAt
//     does not say which): another database with the same table holds other rows below the mark,
//     and rows the old one had that it lacks (a mirror's deletes);
//   - its ledger is empty (a first run, or after the destination changed);
//   - the mark minus the lookback is before year 1 (errBoundBeforeYearOne);
//   - the mark is above the cap of the run's start (markCap; a mark a release before 6 Dec
//     2026 saved from a cursor value in the future): the rows changed since it was taken were
//     read from it, so not at all;
//   - the run is a --full resend or a marking run (they are about every record);
//   - full_read_every has passed since the last successful full read;
//   - keys that a run reading every record (a --full run, a scheduled full read, a first run, or
//     a run whose read is unknown: it crashed) may have delivered are unconfirmed
//     (controlplane.Store.FullReadOwed): an unconfirmed key is resent only by a run that reads
//     it, and theirs can be outside the cursor's range.
//
// The mark moves only with a successful run, in the transaction that records its end
// (SyncLease.Finish): a failed, blocked or canceled run leaves it where it was, and the next
// incremental read starts no later than it read (CursorState.ReadFrom), whatever the lookback is
// by then: the keys it may have delivered are resent only by a run that reads them. A time or date
// cursor's mark leaves out the values above the cap of the run's start (capTime): one row's
// cursor in the future (a typo's year 2999, a sentinel such as 9999-12-31) would otherwise be
// the mark, and every later incremental read would start from it and miss every real change.

// readPlan is what a run of a sync reads: the whole model or, for an incremental read, the rows
// at or after a cursor value.
type readPlan struct {
	cursor   string // the cursor column; "" for a sync without one
	kind     warehouse.CursorKind
	instants bool             // a time cursor's values are instants (warehouse.CursorInstants)
	start    time.Time        // the run's start, which the mark's cap is of (capTime)
	mode     string           // controlplane.ReadFull or ReadIncremental; "" without a cursor
	since    *warehouse.Since // set for an incremental read
	// fullReadDue, for an incremental read, is when full_read_every makes the sync's runs read
	// the whole model again (the last full read plus full_read_every).
	fullReadDue time.Time
	why         string // why a cursor sync reads the whole model
	prev        *controlplane.CursorState
	definition  string
	// markDefinition is the stored definition this run's read keeps the mark of
	// (SyncLease.RecordRead): definition, or the legacy digest of a mark it reads from
	// (legacyMarkHolds).
	markDefinition string
}

func (p *readPlan) incremental() bool { return p.since != nil }

// cursorDefinition is a digest of what a mark is valid for: the sync's definition and its model's
// columns (m.Columns, as the provider last described them). The same SQL returns other values
// after an ALTER TABLE, and the rows it changed kept their cursors; and a mark is a value of the
// cursor's type: one taken when the column was a timestamp is no bound for the integers or texts
// it holds after ("2020-01-02 00:00:00" is 2020 to MySQL, and "20" sorts after "100" as text).
// send_nulls = false (y.OmitNulls) changes the record of every row that has a NULL, whatever its
// cursor, so it is part of the digest too; only when set, so that the digest of a sync that sends
// nulls is the one releases before it was added computed (omitNullsMarkHolds covers the others).
func cursorDefinition(y *controlplane.Sync, m *controlplane.Model, query string) string {
	return definitionDigest(y, m, query, y.OmitNulls)
}

func definitionDigest(y *controlplane.Sync, m *controlplane.Model, query string, omitNulls bool) string {
	parts := append(syncDefinition(y, query), m.Columns)
	if omitNulls {
		parts = append(parts, "omit_nulls")
	}
	return digest(parts)
}

// syncDefinition is what of sync y (and its model's query) every digest of a mark's definition
// holds, the first of them (legacyCursorDefinition) alone.
func syncDefinition(y *controlplane.Sync, query string) []any {
	return []any{query, y.PrimaryKey, y.Mappings, y.Cursor, y.DestinationID, y.Behavior}
}

func digest(parts []any) string {
	b, _ := json.Marshal(parts)
	h := xxh3.Hash128(b).Bytes()
	return hex.EncodeToString(h[:])
}

// unchangedSinceFullRead reports whether what was last written at updatedAt (a sync, a model) was
// written before prev's last full read started (both times are the control plane's clock): every
// run since read it as it is.
func unchangedSinceFullRead(prev *controlplane.CursorState, updatedAt time.Time) bool {
	return prev != nil && !updatedAt.IsZero() && updatedAt.Before(prev.FullReadAt)
}

// omitNullsMarkHolds reports whether prev, a mark a release before 5 Dec 2026 saved for a sync
// with send_nulls = false under its digest without it, is valid: the sync was not written since
// the last full read, so its send_nulls is the one the mark was read with. Without it, such a sync
// read its whole model once after an upgrade; a sync written since reads in full, as a changed
// definition does.
func omitNullsMarkHolds(prev *controlplane.CursorState, y *controlplane.Sync, m *controlplane.Model, query string) bool {
	return y.OmitNulls && unchangedSinceFullRead(prev, y.UpdatedAt) && prev.Definition == definitionDigest(y, m, query, false)
}

// legacyCursorDefinition is cursorDefinition as releases before 5 Dec 2026 computed it, without
// the model's columns.
func legacyCursorDefinition(y *controlplane.Sync, query string) string {
	return digest(syncDefinition(y, query))
}

// legacyMarkHolds reports whether prev, a mark an earlier release saved under its digest of the
// sync's definition without the model's columns (legacyCursorDefinition), is valid for the
// model's columns as they are: the model was last written (described) before the last full read
// started (both times are the control plane's clock), so every run since read it with these
// columns. Without it, every cursor sync read its whole model once after an upgrade (and at each
// run of a replica of the new release during a rolling upgrade, the old replicas writing their
// digest back), which docs/runner.md says an upgrade does not do; a model described since reads in
// full, as a changed definition does. The mark must also be one this release would have kept
// (validMark): those releases kept MySQL's zero dates, which no run can read from, and a
// TINYINT(1)'s "true", which MySQL compares as 0.
func legacyMarkHolds(prev *controlplane.CursorState, kind warehouse.CursorKind, y *controlplane.Sync, m *controlplane.Model,
	query string) bool {
	return unchangedSinceFullRead(prev, m.UpdatedAt) && (!y.OmitNulls || unchangedSinceFullRead(prev, y.UpdatedAt)) &&
		(!prev.HasMark || validMark(kind, []byte(prev.Mark))) && prev.Definition == legacyCursorDefinition(y, query)
}

// cursorKind is how sync y's cursor compares, from the model's described columns, and the
// column's type; an error when the column is not a model column or cannot be a cursor (the
// provider refuses both at plan time; this catches a model changed since).
func cursorKind(y *controlplane.Sync, m *controlplane.Model) (warehouse.CursorKind, string, error) {
	for _, c := range m.Columns {
		if c.Name == y.Cursor {
			k := warehouse.CursorKindOf(c.Type)
			if k == warehouse.CursorNone {
				return k, "", fmt.Errorf("sync %q: its cursor %q is a column of type %s%s, which cannot be a cursor "+
					"(a timestamp, date, integer or text column can): change the sync's cursor", y.Name, y.Cursor, c.Type,
					warehouse.CursorTypeNote(c.Type))
			}
			return k, c.Type, nil
		}
	}
	return warehouse.CursorNone, "", fmt.Errorf("sync %q: its cursor %q is not a column of the model %q (%s): "+
		"change the sync's cursor or the model", y.Name, y.Cursor, m.Name, columnList(m.Columns))
}

func columnList(cols []controlplane.Column) string {
	var b bytes.Buffer
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name)
	}
	return b.String()
}

// planRead decides what a run of y reads. wc: m's warehouse connection (its UpdatedAt zero for
// one a plan changes, not stored yet). ledgerEmpty: the sync has delivered nothing (or its
// ledger was reset). full: a --full resend or a marking run. now is the run's start.
func (e *Engine) planRead(ctx context.Context, y *controlplane.Sync, m *controlplane.Model, wc *controlplane.Connection,
	query string, ledgerEmpty, full bool, now time.Time) (*readPlan, error) {
	p := &readPlan{cursor: y.Cursor, start: now}
	if y.Cursor == "" {
		return p, nil
	}
	var err error
	var typ string
	if p.kind, typ, err = cursorKind(y, m); err != nil {
		return nil, err
	}
	p.instants = p.kind == warehouse.CursorTime && warehouse.CursorInstants(wc.Kind(), typ)
	lookback, err := controlplane.ParseCursorLookback(y.CursorLookback)
	if err != nil {
		return nil, fmt.Errorf("sync %q: %w", y.Name, err)
	}
	every, err := controlplane.ParseFullReadEvery(y.FullReadEvery)
	if err != nil {
		return nil, fmt.Errorf("sync %q: %w", y.Name, err)
	}
	p.mode, p.definition = controlplane.ReadFull, cursorDefinition(y, m, query)
	p.markDefinition = p.definition
	if y.ID != 0 {
		if p.prev, err = e.Store.GetCursorState(ctx, y.ID); err != nil {
			return nil, err
		}
	}
	if legacyMarkHolds(p.prev, p.kind, y, m, query) || omitNullsMarkHolds(p.prev, y, m, query) {
		p.markDefinition = p.prev.Definition
	}
	switch prev := p.prev; {
	case full:
		p.why = "a full or marking run reads every record"
	case prev == nil:
		p.why = "the sync has no cursor mark yet"
	case prev.Definition != p.markDefinition:
		p.why = "the sync's definition changed since its last mark"
	case ledgerEmpty:
		p.why = "the sync's ledger is empty"
	default:
		err = e.planIncremental(ctx, p, y, wc.UpdatedAt, lookback, every, now)
	}
	if p.prev != nil && p.prev.HasMark && y.Cursor == y.PrimaryKey {
		// Why the run reads in full, or why it cannot read, may quote the mark: a key, which
		// is shown as ShownCursor shows it (a run's log, its error, a preview's read_why).
		if keyWhy := KeyWithheld(y, m.Columns, wc.Kind()); ShownCursor(keyWhy, y, p.prev.Mark) != p.prev.Mark {
			p.why = withholdText(p.why, p.prev.Mark)
			err = withholdErr(err, []string{p.prev.Mark})
		}
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// planIncremental completes plan p of a run of y whose mark is valid: it reads incrementally
// unless a full read is owed or due, the model's warehouse connection was written (at
// warehouseAt) since the last full read, or no row read so far had a cursor value.
func (e *Engine) planIncremental(ctx context.Context, p *readPlan, y *controlplane.Sync, warehouseAt time.Time,
	lookback, every time.Duration, now time.Time) error {
	owed, err := e.Store.FullReadOwed(ctx, y.ID, p.prev)
	if err != nil {
		return err
	}
	switch prev := p.prev; {
	case owed:
		p.why = "keys that a run reading every record may have delivered are unconfirmed"
	case !now.Before(prev.FullReadAt.Add(every)):
		p.why = fmt.Sprintf("the last full read was %s ago (full_read_every = %s)",
			now.Sub(prev.FullReadAt).Round(time.Second), every)
	case !unchangedSinceFullRead(prev, warehouseAt):
		p.why = "the model's warehouse connection changed since the last full read (it may read another database)"
	case !prev.HasMark:
		p.why = "no row read so far had a cursor value"
	case aboveCap(p, []byte(prev.Mark), now):
		p.why = fmt.Sprintf("the cursor's mark %s is in the future (after %s): an incremental read from it "+
			"would miss the rows changed since", prev.Mark, markCap(p, now))
	default:
		from, err := cursorBound(p.kind, prev.Mark, lookback)
		if errors.Is(err, errBoundBeforeYearOne) {
			p.why = err.Error()
			return nil
		}
		if err != nil {
			return fmt.Errorf("sync %q: %w", y.Name, err)
		}
		// Not later than a run since the last successful one read from (a shorter lookback
		// since): the keys it may have delivered are resent only by a run that reads them.
		for _, f := range prev.ReadFrom {
			if cursorLess(p.kind, []byte(f), []byte(from)) {
				from = f
			}
		}
		p.mode = controlplane.ReadIncremental
		p.since = &warehouse.Since{Column: y.Cursor, Kind: p.kind, From: from}
		p.fullReadDue = prev.FullReadAt.Add(every)
	}
	return nil
}

// Cursor values as the tracker compares them (cursorText): a time as "2006-01-02 15:04:05.999999"
// in UTC (the warehouses print times so, or in RFC 3339 with a Z, which the tracker brings to
// this form), a date as "2006-01-02", an integer as its digits, a text as itself.
const cursorTimeLayout = "2006-01-02 15:04:05.999999999"

// cursorBound is the lower bound of an incremental read: the mark minus the lookback for a time
// or a date cursor (a date's rounded down to the day), the mark itself for an integer or text
// cursor (they have no lookback). errBoundBeforeYearOne when the mark minus the lookback is
// before 0001-01-01: the run reads in full instead.
func cursorBound(kind warehouse.CursorKind, mark string, lookback time.Duration) (string, error) {
	switch kind {
	case warehouse.CursorTime:
		t, err := time.Parse(cursorTimeLayout, mark)
		if err != nil {
			return "", fmt.Errorf("the cursor's mark %q is not a time: %w", mark, err)
		}
		if t = t.Add(-lookback); t.Year() < 1 {
			return "", errBoundBeforeYearOne
		}
		return t.Format("2006-01-02 15:04:05.999999"), nil
	case warehouse.CursorDate:
		t, err := time.Parse("2006-01-02", mark)
		if err != nil {
			return "", fmt.Errorf("the cursor's mark %q is not a date: %w", mark, err)
		}
		if t = t.Add(-lookback); t.Year() < 1 {
			return "", errBoundBeforeYearOne
		}
		return t.Format("2006-01-02"), nil
	}
	return mark, nil
}

// errBoundBeforeYearOne: the cursor's mark minus its lookback is before year 1 (a mark of
// 0001-01-01 00:00:00, the zero time.Time or .NET's DateTime.MinValue that applications write for
// "never"). Postgres refuses such a bound ("date/time field value out of range": it has no year
// 0), so every run failed until a full read found a higher value; and the year before it (a
// MySQL mark in year 0) Go prints "-0001", which MySQL reads as no time ("Incorrect datetime
// value"; it compares the column with it as text). A read from before the first instant is a
// read of every row: the run reads the whole model.
var errBoundBeforeYearOne = errors.New("the cursor's mark minus cursor_lookback is before year 1, " +
	"so every row is at or after it")

// cursorTracker finds the highest cursor value of the rows a run reads (its next mark), leaving
// out those above the cap of the run's start (capTime): future holds the highest of those.
type cursorTracker struct {
	kind   warehouse.CursorKind
	col    int    // the cursor's column in the rows
	max    []byte // in cursorText's form
	have   bool
	buf    []byte
	plan   *readPlan
	cap    []byte // markCap of the run's start; nil: none
	future []byte // the highest value above cap; empty: none
	// row is the cursor value of the row observed last (in cursorText's form, valid until the
	// next observe), rowOK false when it has none: the diff keeps it with the record it sends,
	// so that a record the endpoint rejects holds the next mark (pipeline.pinRejected).
	row   []byte
	rowOK bool
	// cols are the columns the read returned, which the mark keeps (CursorState.Columns).
	cols []controlplane.Column
}

func newCursorTracker(p *readPlan, cols []controlplane.Column) (*cursorTracker, error) {
	if p == nil || p.cursor == "" {
		return nil, nil
	}
	for i, c := range cols {
		if c.Name == p.cursor {
			return &cursorTracker{kind: p.kind, col: i, plan: p, cap: markCap(p, p.start), cols: cols}, nil
		}
	}
	return nil, fmt.Errorf("the model lost its cursor column: its result has no column %q (it has %s); "+
		"add the column back to the model's SQL or change the sync's cursor", p.cursor, columnList(cols))
}

// observe takes the current row's cursor value into account. NULL, values that are no instant
// or number (Postgres's infinity, years before 1 or after 9999, MySQL's zero dates), and values
// above the cap (in the future: aboveCap; the bytes of those in cursorText's form sort after the
// cap's) do not move the mark.
func (t *cursorTracker) observe(src source) {
	t.buf = src.AppendValue(t.buf[:0], t.col)
	v, ok := cursorText(t.kind, t.buf)
	t.row, t.rowOK = v, ok
	if !ok {
		return
	}
	if t.cap != nil && bytes.Compare(v, t.cap) > 0 && aboveCap(t.plan, v, t.plan.start) {
		if len(t.future) == 0 || cursorLess(t.kind, t.future, v) {
			t.future = append(t.future[:0], v...)
		}
		return
	}
	if (!t.have || cursorLess(t.kind, t.max, v)) && validMark(t.kind, v) {
		t.max, t.have = append(t.max[:0], v...), true
	}
}

// cursorText turns a value's JSON encoding into the form cursor values are compared in, in
// place; false for NULL and values that cannot be a mark.
func cursorText(kind warehouse.CursorKind, v []byte) ([]byte, bool) {
	switch kind {
	case warehouse.CursorTime, warehouse.CursorDate:
		// "2019-12-08 14:19:52.5", "2019-12-08T14:19:52.5Z", "2019-12-08"
		if len(v) < 12 || v[0] != '"' || v[1] < '0' || v[1] > '9' || v[5] != '-' {
			return nil, false
		}
		v = v[1 : len(v)-1]
		if v[len(v)-1] == 'Z' {
			v = v[:len(v)-1]
		}
		if len(v) > 10 && v[10] == 'T' {
			v[10] = ' '
		}
		return v, true
	case warehouse.CursorInteger:
		if len(v) == 0 || v[0] == 'n' { // null
			return nil, false
		}
		return v, true
	case warehouse.CursorText:
		if len(v) < 2 || v[0] != '"' {
			return nil, false
		}
		if bytes.IndexByte(v, '\\') < 0 {
			return cutAtRune(v[1:len(v)-1], maxTextMark), true
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return nil, false
		}
		// MySQL's and DuckDB's text can hold NUL, which the mark (Postgres text) cannot: the
		// text before it sorts at or before the value, so as a mark it reads a little more,
		// never less.
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return []byte(cutAtRune(s, maxTextMark)), true
	}
	return nil, false
}

// validMark reports whether cursor value v (in cursorText's form) can be a mark; the tracker asks
// only of a value higher than its mark so far, as few as a read has. A time or a date must name a
// real instant or day (validCursorTime). An integer must be an integer's digits, as a JSON
// number: anything else (a value a driver sends otherwise, such as MySQL's TINYINT(1) as true or
// false) is no number the warehouse compares as the tracker does (MySQL compares 'true' with an
// integer column as 0).
func validMark(kind warehouse.CursorKind, v []byte) bool {
	switch kind {
	case warehouse.CursorTime, warehouse.CursorDate:
		return validCursorTime(kind, v)
	case warehouse.CursorInteger:
		if len(v) > 0 && v[0] == '-' {
			v = v[1:]
		}
		if len(v) == 0 || (v[0] == '0' && len(v) > 1) {
			return false
		}
		for _, c := range v {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// validCursorTime reports whether v is a date ("2006-01-02") or, for CursorTime, a time
// ("2006-01-02 15:04:05" and up to 9 digits of fraction) that names a real day and time:
// MySQL's zero dates ("0000-00-00 00:00:00") and dates with a zero month or day ("2020-05-00",
// outside NO_ZERO_IN_DATE), or an invalid day (ALLOW_INVALID_DATES's "2020-02-30"), are no
// instant: as a mark, cursorBound could not read them, and every run failed until a full read
// found a higher value. v is in cursorText's form (a T already a blank).
func validCursorTime(kind warehouse.CursorKind, v []byte) bool {
	num := func(i, n int) int {
		x := 0
		for _, c := range v[i : i+n] {
			if c < '0' || c > '9' {
				return -1
			}
			x = x*10 + int(c-'0')
		}
		return x
	}
	if len(v) < 10 || v[4] != '-' || v[7] != '-' {
		return false
	}
	y, m, d := num(0, 4), num(5, 2), num(8, 2)
	if y < 0 || m < 1 || m > 12 || d < 1 || d > 28 && d > time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return false
	}
	if kind == warehouse.CursorDate {
		return len(v) == 10
	}
	if len(v) < 19 || v[10] != ' ' || v[13] != ':' || v[16] != ':' {
		return false
	}
	if h, mi, sec := num(11, 2), num(14, 2), num(17, 2); h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return false
	}
	if len(v) == 19 {
		return true
	}
	return v[19] == '.' && len(v) > 20 && len(v) <= 29 && num(20, len(v)-20) >= 0
}

// maxTextMark bounds a text cursor's mark, which every run's record repeats (read_from) and every
// incremental read sends to the warehouse: a longer value's mark is its first maxTextMark bytes
// (at a character's start), which sort before it, so the next run reads from a little earlier.
const maxTextMark = 1024

// cursorLess reports whether cursor value a sorts before b (both in cursorText's form). Times
// and dates in that form sort as their bytes; integers by sign, then length, then digits.
func cursorLess(kind warehouse.CursorKind, a, b []byte) bool {
	if kind != warehouse.CursorInteger {
		return bytes.Compare(a, b) < 0
	}
	na, nb := len(a) > 0 && a[0] == '-', len(b) > 0 && b[0] == '-'
	switch {
	case na != nb:
		return na
	case na:
		a, b = b[1:], a[1:] // both negative: the larger magnitude is the smaller
	}
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return bytes.Compare(a, b) < 0
}

// startMark is the mark the run starts from, as the cursor compares it; nil when there is none.
func (p *readPlan) startMark() []byte {
	if p == nil || p.prev == nil || !p.prev.HasMark {
		return nil
	}
	return []byte(p.prev.Mark)
}

// nextCursor is the cursor state a run that read by plan p leaves if it succeeds. The mark is
// the highest value read (for an incremental read, never below the mark it started from: rows
// below it were not read), but no higher than pin, when set: the lowest cursor value of the
// records the endpoint rejected in the run (pipeline.pinRejected), which the next run must read
// again to retry them. A full read also restarts the full_read_every clock and counts the
// ledger's keys.
func nextCursor(p *readPlan, t *cursorTracker, pin []byte, start time.Time, c controlplane.RunCounts, ledgerKeys int64) *controlplane.CursorState {
	if p == nil || p.cursor == "" || t == nil {
		return nil
	}
	next := &controlplane.CursorState{Definition: p.definition, FullReadAt: start,
		LedgerKeys: max(ledgerKeys+c.New-c.Deleted, 0), Columns: t.cols}
	if t.have {
		next.Mark, next.HasMark = string(t.max), true
	} else if len(t.future) > 0 {
		// Every value read is in the future: the mark is the earliest value a row written
		// after the run's start can have (markFloor), which the next run reads from.
		next.Mark, next.HasMark = string(markFloor(p, start)), true
	}
	if p.incremental() {
		next.FullReadAt, next.LedgerKeys = p.prev.FullReadAt, p.prev.LedgerKeys+c.New
		if !t.have || cursorLess(p.kind, t.max, []byte(p.prev.Mark)) {
			next.Mark, next.HasMark = p.prev.Mark, true
		}
	}
	if pin != nil && (!next.HasMark || cursorLess(p.kind, pin, []byte(next.Mark))) {
		next.Mark, next.HasMark = string(pin), true
	}
	if next.HasMark && aboveCap(p, []byte(next.Mark), start) { // a pin, or a mark an earlier release saved
		next.Mark = string(markFloor(p, start))
	}
	return next
}

// maxZoneOffset is how far east of UTC a local time can be (Kiribati's UTC+14); minZoneOffset
// how far west (Baker Island's UTC-12).
const (
	maxZoneOffset = 14 * time.Hour
	minZoneOffset = -12 * time.Hour
)

// capTime is the cap of the mark of a run of plan p that started at start (the control plane's
// clock, Run.StartedAt), as a time in UTC: the mark is the highest value read at or below it
// (markFloor when every value read is above it); false for a cursor that has none (an
// integer or a text: nothing says which of its values are in the future, so docs/runner.md says
// to keep them out of the column). The cap binds only on values ahead of the run's start; the
// mark it leaves is lower than the highest value read, so the next read starts earlier and
// reads more, never less: the rows above the cap are read by each run again (the ledger keeps
// the unchanged ones from being resent) until the cap passes them, and a change to any row is
// found as if they were not there.
//   - A time cursor whose values are instants (p.instants): start, to the second below. A
//     warehouse whose clock is behind the control plane's writes values below it: they are not
//     capped, the mark is the highest value read as without a cap, and the lookback covers
//     that skew as it covers a late commit. One whose clock is ahead writes its newest values
//     above start: they are left out of the mark, and read again by the next run, whose cap is
//     higher.
//   - A time without a time zone (Postgres's timestamp, MySQL's DATETIME, DuckDB's TIMESTAMP):
//     a local time in a zone no one states, up to UTC+14: start + 14h, so that no local time
//     east of UTC is left out. A value less than 14 hours ahead of UTC is not (a writer's clock
//     hours ahead): as the mark, it leaves the rows a writer in UTC writes below it until its
//     values reach it to the next full read (docs/runner.md says so).
//   - A date: the date of start + 14h, as a date without a time zone.
//
// Whole seconds: every warehouse compares the bound (the cap minus the lookback) with a column
// of every time type (MySQL's DATETIME, DuckDB's TIMESTAMP_S) without rounding it.
func capTime(p *readPlan, start time.Time) (time.Time, bool) {
	if p == nil || p.kind != warehouse.CursorTime && p.kind != warehouse.CursorDate || start.IsZero() {
		return time.Time{}, false
	}
	c := start.UTC().Truncate(time.Second)
	if !p.instants {
		c = c.Add(maxZoneOffset)
	}
	if p.kind == warehouse.CursorDate {
		c = time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, time.UTC)
	}
	return c, true
}

// markCap is capTime in cursorText's form (a mark); nil for a cursor without a cap.
func markCap(p *readPlan, start time.Time) []byte {
	c, ok := capTime(p, start)
	if !ok {
		return nil
	}
	return markText(p, c)
}

func markText(p *readPlan, t time.Time) []byte {
	if p.kind == warehouse.CursorDate {
		return []byte(t.Format("2006-01-02"))
	}
	return []byte(t.Format(cursorTimeLayout))
}

// markFloor is the mark of a run of plan p that started at start whose every value read is above
// the cap (or a mark above it: nextCursor), in cursorText's form: the earliest value a row
// written after start can have, so that the next incremental read finds those rows. For
// instants, the cap (start, to the second); for a time without a time zone, a local time as
// far west as UTC-12 (start - 12h): the cap, start + 14h, is above the values a writer in UTC
// writes for the next 14 hours, which an incremental read from it missed until the next full
// read. For a date, the date of that. Nil for a cursor without a cap.
func markFloor(p *readPlan, start time.Time) []byte {
	c, ok := capTime(p, start)
	if !ok {
		return nil
	}
	if !p.instants {
		c = start.UTC().Truncate(time.Second).Add(minZoneOffset) // markText keeps a date's date
	}
	return markText(p, c)
}

// aboveCap reports whether cursor value v (in cursorText's form) is above the cap of a run of
// plan p that started at start (capTime), as instants: "2026-12-05 10:00:00.000000", as MySQL
// prints a DATETIME(6), is not above "2026-12-05 10:00:00", though its bytes sort after it.
func aboveCap(p *readPlan, v []byte, start time.Time) bool {
	c, ok := capTime(p, start)
	if !ok {
		return false
	}
	layout := cursorTimeLayout
	if p.kind == warehouse.CursorDate {
		layout = "2006-01-02"
	}
	t, err := time.Parse(layout, string(v))
	return err == nil && t.After(c)
}

// futureCursor is the highest cursor value tracker t read above the cap (a row's cursor in the
// future), which the run's warning names; "" when there is none.
func futureCursor(t *cursorTracker) string {
	if t == nil {
		return ""
	}
	return string(t.future)
}
