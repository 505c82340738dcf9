package runner

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// DryRun is what a run would send.
type DryRun struct {
	Counts controlplane.RunCounts // Delivered, Rejected and Failed stay zero
	// Samples holds up to the asked number of records per operation ("changed", "deleted").
	Samples map[string][]json.RawMessage
	// SampleKeys holds the keys of up to the asked number of records per kind: "new" (never
	// delivered), "changed", "deleted".
	SampleKeys map[string][]string
	// KeyWithheld says why the preview shows no sample keys, and no key in its sample records
	// (KeyWithheld): the sync never sends its primary key as it is. "" when it shows them.
	KeyWithheld    string
	InvalidSamples json.RawMessage
	// Mark: the run would record these records as delivered without sending them (a
	// skip_existing sync's first runs). Blocked: why the sync's guard would stop the run, which
	// would then send nothing; empty when it would not.
	Mark    bool
	Blocked string
	// NoKeyInCommon, of a full read of a sync that delivered keys before, says that none of the
	// model's keys is among them (keyTextChanged): the run sends every record as new, under keys
	// the endpoint does not hold, beside those it holds (a mirror deletes those). "" otherwise.
	NoKeyInCommon string
	// ReadMode and ReadFrom: what a run of a sync with a cursor would read (see Run.ReadMode);
	// its counts are over the rows it would read. ReadWhy says why it would read the whole model.
	ReadMode, ReadFrom, ReadWhy string
	// FullReadDue, for an incremental read, is when full_read_every makes the sync's runs read
	// the whole model again (UTC, RFC 3339): a run started then or later is not this incremental
	// one, and sends the deletes and the changes it does not. FullReadEvery is that setting.
	FullReadDue, FullReadEvery string
	// FutureCursor is the highest cursor value read above the cap of the preview's start
	// (capTime: in the future), as a run's warning names it; MarkCap that cap, whose values
	// above it a run's mark leaves out.
	FutureCursor, MarkCap string
	// Requests are the requests the samples would be sent in, when the sync has a request spec
	// (DryRun only): in record mode one per sample record, in batch mode one per operation.
	Requests []SampleRequest

	byKind map[string][]json.RawMessage // sample records by kind, as SampleKeys
	keysOf map[string][]string          // their keys, as they are (SampleKeys unless withheld)
}

// SampleRequest is a request a dry run rendered: the connection's URL redacted (scheme and host
// only) with the rendered path; or, when it could not be built, why (Err).
type SampleRequest struct {
	Operation   string // new, changed or deleted
	Method      string
	URL         string
	ContentType string
	Body        string
	Err         string
}

// DryRun diffs sync syncID like a run would and reports what it would send. It sends nothing,
// records no run and moves no ledger, so it takes no lock.
func (e *Engine) DryRun(ctx context.Context, syncID int64, full bool, samples int) (*DryRun, error) {
	y, err := e.Store.GetSync(ctx, syncID)
	if err != nil {
		return nil, fmt.Errorf("read sync %d: %w", syncID, err)
	}
	dr, err := e.Preview(ctx, y, nil, full, samples)
	if err != nil || y.Request == nil {
		return dr, err
	}
	j, err := e.load(ctx, y)
	if err != nil {
		return nil, err
	}
	b, err := j.builder(0, time.Now())
	if err != nil {
		return nil, err
	}
	meta := j.meta(time.Now())
	for _, op := range []string{controlplane.OpNew, controlplane.OpChanged, controlplane.OpDeleted} {
		recs := make([][]byte, len(dr.byKind[op]))
		for i, r := range dr.byKind[op] {
			recs[i] = r
		}
		if len(recs) == 0 {
			continue
		}
		groups := [][][]byte{recs}
		if b.PerRecord() {
			groups = groups[:0]
			for i := range recs {
				groups = append(groups, recs[i:i+1])
			}
		}
		for i, g := range groups {
			sr := sampleRequest(j.dest, b, meta, op, g)
			if dr.KeyWithheld != "" { // why it is not built may quote the keys
				keys := dr.keysOf[op]
				if b.PerRecord() {
					keys = keys[i : i+1]
				}
				for _, k := range keys {
					sr.Err = withholdText(sr.Err, k)
				}
			}
			dr.Requests = append(dr.Requests, sr)
		}
	}
	return dr, nil
}

// sampleRequest renders the request of op for records, as a run would build it.
func sampleRequest(dest *controlplane.Connection, b webhook.Builder, meta *webhook.Meta, op string, records [][]byte) SampleRequest {
	sr := SampleRequest{Operation: op}
	built, err := b.Build(nil, meta, op, records)
	if err != nil {
		sr.Err = err.Error()
		return sr
	}
	sr.Method = cmp.Or(built.Method, dest.Webhook.Method, http.MethodPost)
	sr.URL = webhook.JoinURL(strings.TrimSuffix(webhook.RedactedURL(dest.Webhook.URL), "/…")+"/…", built.Path)
	sr.ContentType, sr.Body = built.ContentType, string(built.Body)
	return sr
}

// Preview is DryRun for a sync's definition as given, which need not be stored yet: a plan's
// (y.ID 0: a new sync, whose ledger is empty). model, when set, replaces the stored model of
// y.ModelID (a model changed in the same plan). The destination is not needed.
func (e *Engine) Preview(ctx context.Context, y *controlplane.Sync, model *controlplane.Model, full bool, samples int) (*DryRun, error) {
	return e.PreviewOn(ctx, y, model, nil, full, samples)
}

// PreviewOn is Preview with the model read through warehouse connection wc when it is set (a
// connection a plan changes in place), instead of the model's stored connection.
func (e *Engine) PreviewOn(ctx context.Context, y *controlplane.Sync, model *controlplane.Model, wc *controlplane.Connection,
	full bool, samples int) (*DryRun, error) {
	dr, err := e.previewOn(ctx, y, model, wc, full, samples)
	if err != nil {
		// Shown in a plan's warning or printed by the dry run: bounded as a run's error is.
		return nil, boundRunError(err)
	}
	return dr, nil
}

func (e *Engine) previewOn(ctx context.Context, y *controlplane.Sync, model *controlplane.Model, wc *controlplane.Connection,
	full bool, samples int) (*DryRun, error) {
	if model == nil {
		var err error
		if model, err = e.Store.GetModel(ctx, y.ModelID); err != nil {
			return nil, fmt.Errorf("read the sync's model %d: %w", y.ModelID, err)
		}
	}
	if wc == nil {
		var err error
		if wc, err = e.Store.GetConnection(ctx, model.ConnectionID); err != nil {
			return nil, fmt.Errorf("read the model's connection %d: %w", model.ConnectionID, err)
		}
	}
	src, err := warehouse.For(wc)
	if err != nil {
		return nil, fmt.Errorf("the model %q cannot be read: %w", model.Name, err)
	}
	j := &job{sync: y, model: model, wc: wc, src: src}
	ledgerEmpty := true // a sync not stored yet has delivered nothing
	if y.ID != 0 {
		st, err := e.Store.ReadLedgerState(ctx, y.ID)
		if err != nil {
			return nil, err
		}
		ledgerEmpty = st.Empty()
	}
	// As a run would read: a definition other than the stored one (a plan's) reads in full.
	query := modelQuery(j.src, j.model)
	marking, err := e.marks(ctx, y, RunOptions{Full: full})
	if err != nil {
		return nil, err
	}
	// A run plans its read at its start on the control plane's clock (Run.StartedAt), which
	// the mark's cap and full_read_every are of: so does the preview, wherever it runs (a
	// laptop's plan, a runner whose clock is off).
	start, err := e.Store.Now(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := e.planRead(ctx, y, model, wc, query, ledgerEmpty, full || marking, start)
	if err != nil {
		return nil, err
	}
	rows, m, err := j.openPlanned(ctx, query, plan, model, nil)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// A model whose result lost the cursor column fails the run before it reads (newCursorTracker):
	// the preview says so rather than counting what that run would never send.
	tracker, err := newCursorTracker(plan, rows.Columns())
	if err != nil {
		return nil, err
	}
	var counters Counters
	withheld := KeyWithheld(y, rows.Columns(), wc.Kind())
	d := &differ{behavior: y.Behavior, full: full, m: m, counts: &counters, cursor: tracker, withhold: withheld != ""}
	var led ledger
	switch {
	case plan.incremental():
		// A run adopts the intents first; this read sees them as it would (LedgerRows does too).
		intents, err := e.Store.ReadIntentKeys(ctx, y.ID)
		if err != nil {
			return nil, err
		}
		e.lookUpKeys(d, y.ID, intents)
	case y.ID != 0:
		l, err := e.Store.ReadLedger(ctx, y.ID)
		if err != nil {
			return nil, err
		}
		defer l.Close()
		led = l
	}
	out := &DryRun{Samples: map[string][]json.RawMessage{}, SampleKeys: map[string][]string{}, byKind: map[string][]json.RawMessage{},
		keysOf: map[string][]string{}, ReadMode: plan.mode, ReadWhy: plan.why, KeyWithheld: withheld}
	if plan.incremental() {
		out.ReadFrom = plan.since.From
		// Shown to the second, rounded up: a run started within the second before the due time
		// still reads incrementally, and is not "at that time or later".
		due := plan.fullReadDue
		if t := due.Truncate(time.Second); !t.Equal(due) {
			due = t.Add(time.Second)
		}
		out.FullReadDue = due.UTC().Format(time.RFC3339)
		out.FullReadEvery = cmp.Or(y.FullReadEvery, warehouse.FormatDuration(controlplane.DefaultFullReadEvery))
	}
	err = d.run(ctx, rows, led, func(r *record) error {
		op := webhook.OpChanged
		if r.kind == kindDeleted {
			op = webhook.OpDeleted
		}
		if len(out.Samples[op]) < samples {
			rec := append(json.RawMessage(nil), r.obj...)
			if out.KeyWithheld != "" {
				rec = withholdSample(rec, r.key)
			}
			out.Samples[op] = append(out.Samples[op], rec)
		}
		if kind := kindNames[r.kind]; len(out.byKind[kind]) < samples {
			out.byKind[kind] = append(out.byKind[kind], append(json.RawMessage(nil), r.obj...))
			out.keysOf[kind] = append(out.keysOf[kind], string(r.key))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if withheld == "" {
		out.SampleKeys = out.keysOf // else none is shown
	}
	out.Counts = counters.snapshot()
	if out.FutureCursor = futureCursor(tracker); out.FutureCursor != "" {
		out.MarkCap = string(markCap(plan, start))
	}
	// A cursor on the key column: its bound is the highest key read (an integer or text cursor
	// has no lookback), its future value a key. Withheld as the sample keys are.
	out.ReadFrom, out.FutureCursor = ShownCursor(out.KeyWithheld, y, out.ReadFrom), ShownCursor(out.KeyWithheld, y, out.FutureCursor)
	// As Run decides: a marking run sends nothing and is not guarded; else the guard.
	out.Mark = marking
	g, guardKeys := y.EffectiveGuard(), d.ledgerKeys
	if plan.incremental() {
		g, guardKeys = incrementalGuard(g), plan.prev.LedgerKeys
	}
	if !out.Mark && guardCanTrip(g, ledgerEmpty) {
		out.Blocked = guardTrip(g, out.Counts, guardKeys, full)
	}
	// Said once: a guard that blocks the run's deletes says it already (noKeyInCommon).
	if n := noKeyInCommon(out.Counts, d.ledgerKeys); !plan.incremental() && !full && !out.Mark && (n == "" || !strings.HasSuffix(out.Blocked, n)) {
		out.NoKeyInCommon = keyTextChanged(y.Behavior, out.Counts, d.ledgerKeys, d.inCommon)
	}
	out.InvalidSamples, _ = json.Marshal(d.samples)
	if len(d.samples) == 0 {
		out.InvalidSamples = json.RawMessage("[]")
	}
	return out, nil
}

// openOneRecord opens the model for Test: at most one row, whose key is not NULL. The source's Open
// orders the whole result by the key (the order the diff needs); fed the model limited to one
// row, it sorts that one row instead of the model. The model is described first so that a lost
// key column is reported as such rather than as the warehouse's error about the filter.
func (j *job) openOneRecord(ctx context.Context) (warehouse.Stream, *mapper, error) {
	q := strings.TrimRight(modelQuery(j.src, j.model), " \t\r\n;")
	cols, err := j.src.Describe(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("read the model %q: %w", j.model.Name, err)
	}
	if err := warehouse.HasKey(cols, j.sync.PrimaryKey); err != nil {
		return nil, nil, fmt.Errorf("read the model %q: %w", j.model.Name, err)
	}
	return j.openModel(ctx, j.src.OneKeyedRow(q, j.sync.PrimaryKey), nil, nil)
}

// TestResult is the endpoint's answer to a test request.
type TestResult struct {
	// Record is the record sent; for a sync whose key KeyWithheld withholds (KeyWithheld, why),
	// with "(withheld)" for the key's value, as a preview's sample records.
	Record      json.RawMessage
	KeyWithheld string
	Method      string
	Status      int
	Body        string // the first 4 KiB
}

// testRequest is the request Test sends for rec: its `changed` envelope, or with a request spec
// its `new` request, rendered for rec. An error quotes the record, without its key when
// withheld (its key, which KeyWithheld withholds; nil when it does not) is set. A sample record
// (SampleRecordOf) is rendered as the plan's check renders it (webhook.CompileSampleRequests).
func (j *job) testRequest(ctx context.Context, ep webhook.Endpoint, rec, withheld []byte, sample bool) (*http.Request, error) {
	now := time.Now()
	compile := webhook.CompileRequests
	if sample {
		compile = webhook.CompileSampleRequests
	}
	b, err := j.builderOf(0, now, compile)
	if err != nil {
		return nil, err
	}
	built, err := b.Build(nil, j.meta(now), controlplane.OpNew, [][]byte{rec})
	if err != nil {
		if withheld != nil {
			return nil, fmt.Errorf("the test request could not be built for the record %s: %s",
				withholdSample(rec, withheld), withholdText(err.Error(), string(withheld)))
		}
		return nil, fmt.Errorf("the test request could not be built for the record %s: %w", rec, err)
	}
	return ep.BuildRequest(ctx, webhook.NewMessageID(), &built)
}

// Test sends one record of sync syncID's model (the first with a key the warehouse returns, in no
// particular order) to its destination as a real `changed` envelope, or with a request spec as
// its `new` request, and returns the answer. Nothing is recorded: the ledger does not move.
func (e *Engine) Test(ctx context.Context, syncID int64) (*TestResult, error) {
	res, err := e.test(ctx, syncID)
	if err != nil {
		return nil, boundRunError(err) // printed: bounded as a run's error is
	}
	return res, nil
}

func (e *Engine) test(ctx context.Context, syncID int64) (*TestResult, error) {
	y, err := e.Store.GetSync(ctx, syncID)
	if err != nil {
		return nil, fmt.Errorf("read sync %d: %w", syncID, err)
	}
	j, err := e.load(ctx, y)
	if err != nil {
		return nil, err
	}
	// Held from the read to the answer, as a run's: the record's key is recorded as a run's
	// batch's are (RecordTestIntent), and no run adopts it while the request is in flight.
	lease, err := e.Store.AcquireSync(ctx, y.ID, false, nil, e.lockCheck)
	if errors.Is(err, controlplane.ErrBusy) {
		return nil, fmt.Errorf("sync %q is running: test it once its run ends (%w)", y.Name, err)
	}
	if err != nil {
		return nil, err
	}
	defer lease.Release()
	rows, m, err := j.openOneRecord(ctx)
	if err != nil {
		return nil, err
	}
	// As a preview shows it: the record printed, or quoted by an error, without a key the sync
	// never sends as it is.
	withheld := KeyWithheld(y, rows.Columns(), j.wc.Kind())
	var rec, key []byte
	if rows.Next() {
		if k, isNull := rows.Key(); !isNull {
			key = bytes.Clone(k)
			rec = m.appendMetadata(m.appendRecord(nil, rows), kindChanged) // sent as the envelope's `changed`
		}
	}
	err = rows.Err()
	_ = rows.Close()
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("the model %q has no record with a %s to send", j.model.Name, y.PrimaryKey)
	}
	// A key a run counts invalid (diff.go) it never sends, nor could the ledger hold it.
	if !controlplane.StorableKey(key) {
		return nil, fmt.Errorf("the model %q's record to send has a %s that runs count invalid (longer than %d bytes, "+
			"or with a NUL byte) and never send", j.model.Name, y.PrimaryKey, controlplane.MaxKeyBytes)
	}
	// The record reaches the endpoint outside any run: the next run resends the key's current
	// version, or deletes it (mirror) if its row is gone by then (SyncLease.RecordTestIntent).
	// An append sync sends a key once and never its changes nor its deletion: a key it appended
	// already would be appended again, one it did not yet is appended by the next run anyway.
	// Recorded once the request is built: a record whose request cannot be built is not sent.
	record := func() error {
		if y.Behavior == controlplane.BehaviorAppend {
			return nil
		}
		return lease.RecordTestIntent(ctx, key)
	}
	shown, withheldKey := json.RawMessage(rec), []byte(nil)
	if withheld != "" {
		shown, withheldKey = withholdSample(rec, key), key
	}
	status, method, body, err := e.send(ctx, j, rec, withheldKey, false, record)
	if withheld != "" { // the endpoint's answer, or why there was none, may quote the key
		body, err = withholdText(body, string(key)), withholdErr(err, []string{string(key)})
	}
	if err != nil {
		return nil, err
	}
	return &TestResult{Record: shown, KeyWithheld: withheld, Method: method, Status: status, Body: body}, nil
}

// SendSample sends sync y's test request (see Test) for a sample record of its model's column
// types (SampleRecord) to its destination, and returns that record and the answer's status and
// first 4 KiB: the provider's test_on_save of a request. rec is nil when no request could be
// built (the sync's model, destination or mappings are not usable), err then says why.
func SendSample(ctx context.Context, store *controlplane.Store, y *controlplane.Sync) (rec []byte, status int, body string, err error) {
	return (&Engine{Store: store}).sendSample(ctx, y)
}

// sendSample is SendSample with e's client (tests give one).
func (e *Engine) sendSample(ctx context.Context, y *controlplane.Sync) (rec []byte, status int, body string, err error) {
	j, err := e.load(ctx, y)
	if err != nil {
		return nil, 0, "", err
	}
	kind := "" // the warehouse's, whose values the sample record's follow
	if wc, err := e.Store.GetConnection(ctx, j.model.ConnectionID); err == nil {
		kind = wc.Kind()
	}
	if rec, _, err = SampleRecordOf(kind, j.model.Columns, y); err != nil {
		return nil, 0, "", err
	}
	status, _, body, err = e.send(ctx, j, rec, nil, true, nil)
	return rec, status, body, err
}

// send sends the test request for rec (a sample record when sample is set), calling beforeSend
// (if any) once it is built; an error quotes the record, without its key when withheld is set
// (see testRequest).
func (e *Engine) send(ctx context.Context, j *job, rec, withheld []byte, sample bool, beforeSend func() error) (status int, method, body string, err error) {
	ep := endpoint(j.dest, &e.tokens, e.Client)
	req, err := j.testRequest(ctx, ep, rec, withheld, sample)
	if err != nil {
		return 0, "", "", err
	}
	if beforeSend != nil {
		if err := beforeSend(); err != nil {
			return 0, "", "", err
		}
	}
	client := e.Client
	if client == nil {
		client = webhook.DefaultClient() // checked by the network policy, as deliveries are
	}
	resp, done, err := webhook.Do(client, req) // its answer's body bounded as a delivery's
	defer done()
	if err != nil {
		return 0, "", "", fmt.Errorf("the test request to %q could not be sent: %w", j.dest.Name, ep.RedactError(err, req.Header.Get("Authorization")))
	}
	defer resp.Body.Close()
	body = ep.Scrub(webhook.AnswerSnippet(resp, 4096), req.Header.Get("Authorization"))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, req.Method, body, nil
}
