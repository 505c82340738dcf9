package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/printable"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// The delivery log's commands: `deliveries` lists a sync's requests, `records --key` answers for
// one key. Both read the control plane only, and no secret.

var deliveriesCommand = command{
	name: "deliveries",
	usage: `Usage: backflow-runner deliveries NAME|ID [--run ID] [--failed] [--limit N] [--json] [flags]

Lists the requests a sync's runs made, newest first, from the delivery log: one line per request
(a batch, or a part of one split off to isolate refused records), with its run, webhook-id,
operation, record count, first and last key, the last attempt's HTTP status (0: no response),
attempts, latency, and for an answer that was not a 2xx the start of its body or the error. The
daemon keeps the log for --delivery-retention (14 days by default).
`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		runID := fs.Int64("run", 0, "only the requests of this run (0: of every run)")
		failed := fs.Bool("failed", false, "only the requests that did not get a 2xx")
		limit := fs.Int("limit", 100, "how many requests to list")
		asJSON := fs.Bool("json", false, "print one JSON object per request")
		return func(ctx context.Context, e *env, args []string) error {
			if err := errors.Join(atLeast("run", *runID, 0), atLeast("limit", *limit, 1)); err != nil {
				return usageError(err.Error())
			}
			store, y, err := e.openSync(ctx, args, false, 0)
			if err != nil {
				return err
			}
			defer store.Close()
			withheld, err := runner.StoredKeyWithheld(ctx, store, y)
			if err != nil {
				return err
			}
			// Each request's keys, withheld from its answer (runner.ShownDelivery).
			ds, err := store.ListDeliveries(ctx, controlplane.DeliveryFilter{SyncID: y.ID, RunID: *runID, Failed: *failed, Limit: *limit,
				Keys: withheld != ""})
			if err == nil {
				err = runner.StoredDeliveriesShown(ctx, store, withheld, ds)
			}
			if err != nil {
				return err
			}
			if *asJSON {
				enc := json.NewEncoder(e.stdout)
				for i := range ds {
					if err := enc.Encode(deliveryJSON(&ds[i], withheld)); err != nil {
						return err
					}
				}
				return nil
			}
			if len(ds) == 0 {
				what := "requests"
				if *failed {
					what = "failed requests"
				}
				if *runID != 0 {
					what += fmt.Sprintf(" of run %d", *runID)
				}
				fmt.Fprintf(e.stdout, "no %s of sync %q in the delivery log\n", what, y.Name)
				return nil
			}
			if withheld != "" {
				fmt.Fprintf(e.stdout, "(keys shown as \"(withheld)\": %s)\n", withheld)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SENT\tRUN\tWEBHOOK-ID\tOPERATION\tRECORDS\tFIRST KEY\tLAST KEY\tSTATUS\tATTEMPTS\tLATENCY\tANSWER")
			for i := range ds {
				d := &ds[i]
				*d = runner.ShownDelivery(withheld, *d)
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", d.SentAt.UTC().Format(time.RFC3339), d.RunID,
					printable.Line(d.WebhookID), printable.Line(d.Operation), d.Records, printable.OneLine(strconv.Quote(d.FirstKey), 40),
					printable.OneLine(strconv.Quote(d.LastKey), 40),
					statusText(d.Status), d.Attempts, latency(d.Latency), printable.OneLine(answer(d), 100))
			}
			return tw.Flush()
		}
	},
}

var recordsCommand = command{
	name: "records",
	usage: `Usage: backflow-runner records NAME|ID --key KEY [--json] [flags]

Says what became of one record of a sync, by its key (the sync's primary key, as text):
  - its ledger state: confirmed (delivered; the version delivered is known), unconfirmed (may
    have been delivered, version unknown: the next run resends it, or deletes it for a mirror
    sync whose model lost it) or absent (never delivered, deleted, or refused);
  - whether the destination refused it (rejected), with the status and the answer;
  - every request that carried it in the delivery log (the daemon keeps --delivery-retention,
    14 days by default): when, which run, the status, the attempts and the answer.
`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		var key *string
		fs.Func("key", "the record's `key`, as text (required; --key '' is the empty key)", func(s string) error {
			key = &s
			return nil
		})
		asJSON := fs.Bool("json", false, "print the answer as one JSON object")
		return func(ctx context.Context, e *env, args []string) error {
			if key == nil {
				return usageError("give the record's key: --key KEY")
			}
			store, y, err := e.openSync(ctx, args, false, 0)
			if err != nil {
				return err
			}
			defer store.Close()
			// A key the control plane's text cannot hold ($'\xff', a NUL) is no record's: a
			// model's row with one is invalid, never sent. It is absent, not a query Postgres
			// refuses.
			state := controlplane.LedgerKey{State: controlplane.KeyAbsent}
			var rej *controlplane.Rejected
			var ds []controlplane.Delivery
			if controlplane.TextHolds(*key) {
				if state, err = store.LookupLedgerKey(ctx, y.ID, *key); err != nil {
					return err
				}
				if rej, err = store.GetRejected(ctx, y.ID, *key); err != nil && !errors.Is(err, controlplane.ErrNotFound) {
					return err
				}
				if ds, err = store.KeyDeliveries(ctx, y.ID, *key); err != nil {
					return err
				}
			}
			// The key asked about is the caller's; the other keys of its requests (the JSON's
			// first and last keys, and those their answers quote) are not shown.
			withheld, err := runner.StoredKeyWithheld(ctx, store, y)
			if err == nil {
				err = runner.StoredDeliveriesShown(ctx, store, withheld, ds)
			}
			if err != nil {
				return err
			}
			if *asJSON {
				return json.NewEncoder(e.stdout).Encode(recordJSON(y, *key, state, rej, ds, withheld))
			}
			printRecord(e.stdout, y, *key, state, rej, ds, withheld)
			return nil
		}
	},
}

// latency shows a request's latency to the millisecond, or finer below 10 ms.
func latency(d time.Duration) string {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func statusText(status int) string {
	if status == 0 {
		return "none"
	}
	return strconv.Itoa(status)
}

// answer is what a request's line shows of its answer: nothing for a 2xx, else the error or the
// start of the body.
func answer(d *controlplane.Delivery) string {
	switch {
	case d.Error != "":
		return d.Error
	case d.OK():
		return ""
	case d.Body == "":
		return "(empty body)"
	}
	return d.Body
}

func stateMeaning(st controlplane.LedgerKey) string {
	switch st.State {
	case controlplane.KeyConfirmed:
		return "delivered; the ledger holds the version delivered, so the next run sends it only if it changes"
	case controlplane.KeyUnconfirmed:
		resend := "the next run resends it (or deletes it, mirror)"
		if st.WasAbsent {
			resend = "the endpoint may not have it (it was absent from the ledger before, or a delete may have reached it), " +
				"so the next run resends it as new (or deletes it, mirror)"
		}
		if st.Where == "intent" {
			return "a request carrying it was sent, or about to be, and its outcome is not recorded " +
				"(a run is under way, or one stopped): " + resend
		}
		return "it may have been delivered by a run that stopped before recording it: " + resend
	}
	if st.Where == "tombstone" {
		return "deleted: its deletion was delivered"
	}
	return "not in the ledger: never delivered (or refused), or its deletion was delivered"
}

// printRecord prints what `records --key` finds of key; its requests' answers as
// runner.ShownDelivery shows them for withheld, the sync's runner.StoredKeyWithheld.
func printRecord(w io.Writer, y *controlplane.Sync, key string, st controlplane.LedgerKey, rej *controlplane.Rejected, ds []controlplane.Delivery,
	withheld string) {
	fmt.Fprintf(w, "sync %q, key %q\n", y.Name, key)
	fmt.Fprintf(w, "ledger: %s (%s)\n", st.State, stateMeaning(st))
	if rej != nil {
		fmt.Fprintf(w, "rejected: yes, HTTP %d by run %d at %s; the next run sends it again\n  answer: %s\n",
			rej.Status, rej.RunID, rej.RejectedAt.UTC().Format(time.RFC3339), printable.OneLine(orEmpty(rej.Body), 200))
	} else {
		fmt.Fprintln(w, "rejected: no")
	}
	if len(ds) == 0 {
		fmt.Fprintln(w, "requests: none in the delivery log")
		return
	}
	fmt.Fprintf(w, "requests (%d, oldest first):\n", len(ds))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SENT\tRUN\tWEBHOOK-ID\tOPERATION\tRECORDS\tSTATUS\tATTEMPTS\tLATENCY\tANSWER")
	for i := range ds {
		shown := runner.ShownDelivery(withheld, ds[i])
		d := &shown
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", d.SentAt.UTC().Format(time.RFC3339), d.RunID, printable.Line(d.WebhookID),
			printable.Line(d.Operation), d.Records, statusText(d.Status), d.Attempts, latency(d.Latency), printable.OneLine(answer(d), 100))
	}
	tw.Flush()
}

func orEmpty(s string) string {
	if s == "" {
		return "(empty body)"
	}
	return s
}

type deliveryOut struct {
	ID        int64     `json:"id"`
	Run       int64     `json:"run"`
	WebhookID string    `json:"webhook_id"`
	Operation string    `json:"operation"`
	Records   int       `json:"records"`
	FirstKey  string    `json:"first_key"`
	LastKey   string    `json:"last_key"`
	SentAt    time.Time `json:"sent_at"`
	Attempts  int       `json:"attempts"`
	Status    int       `json:"status"`
	LatencyMS float64   `json:"latency_ms"`
	Body      string    `json:"body,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// deliveryJSON is d as JSON, as runner.ShownDelivery shows it for withheld, the sync's
// runner.StoredKeyWithheld.
func deliveryJSON(d *controlplane.Delivery, withheld string) deliveryOut {
	shown := runner.ShownDelivery(withheld, *d)
	d = &shown
	return deliveryOut{ID: d.ID, Run: d.RunID, WebhookID: d.WebhookID, Operation: d.Operation, Records: d.Records,
		FirstKey: d.FirstKey, LastKey: d.LastKey, SentAt: d.SentAt.UTC(), Attempts: d.Attempts, Status: d.Status,
		LatencyMS: float64(d.Latency.Microseconds()) / 1000, Body: d.Body, Error: d.Error}
}

type rejectedOut struct {
	Status     int       `json:"status"`
	StatusText string    `json:"status_text"`
	Run        int64     `json:"run"`
	Body       string    `json:"body"`
	RejectedAt time.Time `json:"rejected_at"`
}

type recordOut struct {
	Sync      string        `json:"sync"`
	SyncID    int64         `json:"sync_id"`
	Key       string        `json:"key"`
	Ledger    string        `json:"ledger"`
	Where     string        `json:"ledger_source,omitempty"`
	WasAbsent bool          `json:"was_absent,omitempty"` // unconfirmed, and sent as new: see LedgerKey
	Hash      string        `json:"hash,omitempty"`
	Rejected  *rejectedOut  `json:"rejected"`
	Requests  []deliveryOut `json:"requests"`
}

func recordJSON(y *controlplane.Sync, key string, st controlplane.LedgerKey, rej *controlplane.Rejected, ds []controlplane.Delivery,
	withheld string) recordOut {
	out := recordOut{Sync: y.Name, SyncID: y.ID, Key: key, Ledger: string(st.State), Where: st.Where,
		WasAbsent: st.WasAbsent, Hash: hex.EncodeToString(st.Hash), Requests: []deliveryOut{}}
	if rej != nil {
		out.Rejected = &rejectedOut{Status: rej.Status, StatusText: http.StatusText(rej.Status), Run: rej.RunID,
			Body: rej.Body, RejectedAt: rej.RejectedAt.UTC()}
	}
	for i := range ds {
		out.Requests = append(out.Requests, deliveryJSON(&ds[i], withheld))
	}
	return out
}
