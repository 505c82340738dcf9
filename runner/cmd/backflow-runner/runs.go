package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/printable"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

var runsCommand = command{
	name: "runs",
	usage: `Usage: backflow-runner runs [NAME|ID] [--limit N] [--json] [flags]
       backflow-runner runs show RUN_ID [--json] [flags]

Lists recent runs, newest first, of one sync or of all: id, sync, status, trigger, start, duration
and counters, then the error of each run that has one, in full. With --json, one JSON object per
run. The daemon keeps runs for --run-retention after they ended (90 days by default), and each
sync's last ones whatever their age.

'runs show RUN_ID' prints one run: its counters, its error, the samples of its invalid records and
the records the destination refused in it (rejected), with the status and the start of the answer.
`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		limit := fs.Int("limit", 20, "how many runs to list")
		asJSON := fs.Bool("json", false, "print JSON: one object per run")
		return func(ctx context.Context, e *env, args []string) error {
			if err := atLeast("limit", *limit, 1); err != nil {
				return err
			}
			if len(args) >= 1 && args[0] == "show" && len(args) != 1 {
				if len(args) != 2 {
					return usageError("runs show takes one run id")
				}
				id, err := strconv.ParseInt(args[1], 10, 64)
				if err != nil || id <= 0 {
					return usageError(fmt.Sprintf("runs show: %q is not a run id (the ID column of runs)", args[1]))
				}
				return showRun(ctx, e, id, *asJSON)
			}
			if len(args) > 1 {
				return usageError("at most one sync (quote a name that has spaces)")
			}
			store, err := e.openStore(ctx, false, 0)
			if err != nil {
				return err
			}
			defer store.Close()
			var syncID int64
			if len(args) == 1 {
				y, err := findSync(ctx, store, args[0])
				if err != nil {
					return err
				}
				syncID = y.ID
			}
			runs, err := store.ListRuns(ctx, syncID, *limit)
			if err != nil {
				return err
			}
			if runs, err = runner.StoredRunsShown(ctx, store, runs); err != nil {
				return err
			}
			if *asJSON {
				enc := json.NewEncoder(e.stdout)
				for _, r := range runs {
					if err := enc.Encode(runner.NewRunJSON(r, nil)); err != nil {
						return err
					}
				}
				return nil
			}
			if len(runs) == 0 {
				fmt.Fprintln(e.stdout, "no runs yet")
				return nil
			}
			printRuns(e.stdout, runs)
			return nil
		}
	},
}

// triggerText is a run's trigger as the runs table shows it: a run after its parents names the
// parent runs that started it ("after 12,14"), a queued run its job ("queued #7").
func triggerText(r *controlplane.Run) string {
	switch {
	case len(r.ParentRuns) > 0:
		ids := make([]string, len(r.ParentRuns))
		for i, id := range r.ParentRuns {
			ids[i] = strconv.FormatInt(id, 10)
		}
		return r.Trigger + " " + strings.Join(ids, ",")
	case r.JobID != 0:
		return r.Trigger + " #" + strconv.FormatInt(r.JobID, 10)
	}
	return r.Trigger
}

// errorWidth is where run errors are wrapped.
const errorWidth = 100

func printRuns(w io.Writer, runs []*controlplane.Run) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSYNC\tSTATUS\tTRIGGER\tSTARTED\tDURATION\tEXTRACTED\tINVALID\tNEW\tCHANGED\tDELETED\tDELIVERED\tREJECTED\tFAILED\tPACE")
	for _, r := range runs {
		c := r.Counts
		pace := r.PaceText()
		if pace == "" {
			pace = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.ID, printable.Line(r.SyncName), r.Status,
			triggerText(r), r.StartedAt.UTC().Format(time.RFC3339), r.Duration().Round(time.Millisecond),
			c.Extracted, c.Invalid, c.New, c.Changed, c.Deleted, c.Delivered, c.Rejected, c.Failed, pace)
	}
	tw.Flush()
	first := true
	for _, r := range runs {
		if r.Error == "" {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nerrors:")
			first = false
		}
		fmt.Fprintf(w, "run %d:\n%s", r.ID, wrap(r.Error, errorWidth, "  "))
	}
}

// wrap breaks s into lines of at most width columns (a longer word gets a line of its own), each
// starting with indent and ending with a newline. Runs of white space become one space, and
// the rest is made printable (printable.Line): a run's error can quote the warehouse or an answer.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	line := 0
	for _, word := range strings.Fields(printable.Line(s)) {
		if line > 0 && line+1+len(word) > width {
			b.WriteString("\n")
			line = 0
		}
		if line == 0 {
			b.WriteString(indent)
			line = len(indent)
		} else {
			b.WriteString(" ")
			line++
		}
		b.WriteString(word)
		line += len(word)
	}
	if line > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

func showRun(ctx context.Context, e *env, id int64, asJSON bool) error {
	store, err := e.openStore(ctx, false, 0)
	if err != nil {
		return err
	}
	defer store.Close()
	r, err := store.GetRun(ctx, id)
	if err != nil {
		return fmt.Errorf("run %d: %w", id, err)
	}
	all, err := store.ListRejected(ctx, r.SyncID)
	if err != nil {
		return err
	}
	withheld := ""
	if len(all) > 0 || r.ReadFrom != "" || len(r.InvalidSamples) > len("[]") || r.Error != "" {
		y, err := store.GetSync(ctx, r.SyncID)
		if err != nil {
			return err
		}
		if withheld, err = runner.StoredKeyWithheld(ctx, store, y); err != nil {
			return err
		}
		if r, err = runner.StoredRunShown(ctx, store, withheld, y, r); err != nil {
			return err
		}
	}
	var rejected []controlplane.Rejected
	for _, rj := range all {
		if rj.RunID == r.ID {
			rj.Body = runner.ShownText(withheld, rj.Body, rj.Key)
			rj.Key = runner.ShownKey(withheld, rj.Key)
			rejected = append(rejected, rj)
		}
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(runner.NewRunJSON(r, rejected))
	}
	w := e.stdout
	fmt.Fprintf(w, "run %d of sync %q (id %d): %s in %s (trigger %s)\n", r.ID, r.SyncName, r.SyncID, r.Status,
		r.Duration().Round(time.Millisecond), r.Trigger)
	for _, id := range r.ParentRuns {
		if p, err := store.GetRun(ctx, id); err == nil {
			fmt.Fprintf(w, "  after run %d of sync %q (%s, finished %s)\n", p.ID, p.SyncName, p.Status, p.FinishedAt.UTC().Format(time.RFC3339))
		} else {
			fmt.Fprintf(w, "  after run %d (no longer recorded)\n", id)
		}
	}
	if r.JobID != 0 {
		fmt.Fprintf(w, "  queued    as #%d (backflow-runner trigger, or the API)\n", r.JobID)
	}
	fmt.Fprintf(w, "  started   %s\n", r.StartedAt.UTC().Format(time.RFC3339))
	if s := readText(r.ReadMode, r.ReadFrom); s != "" {
		fmt.Fprintf(w, "  read      %s\n", s)
	}
	if !r.FinishedAt.IsZero() {
		fmt.Fprintf(w, "  finished  %s\n", r.FinishedAt.UTC().Format(time.RFC3339))
	}
	c := r.Counts
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeCounts(tw, c)
	tw.Flush()
	if r.Error != "" {
		fmt.Fprintf(w, "error:\n%s", wrap(r.Error, errorWidth, "  "))
	}
	var samples []json.RawMessage
	_ = json.Unmarshal(r.InvalidSamples, &samples)
	if len(samples) > 0 {
		fmt.Fprintf(w, "invalid records (%d sampled of %d):\n", len(samples), c.Invalid)
		for _, s := range samples {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	if len(rejected) > 0 {
		fmt.Fprintf(w, "rejected records still refused (%d, retried by the next run):\n", len(rejected))
		if withheld != "" {
			fmt.Fprintf(w, "  (keys shown as \"(withheld)\": %s)\n", withheld)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  KEY\tSTATUS\tANSWER")
		for _, rj := range rejected {
			fmt.Fprintf(tw, "  %s\t%d\t%s\n", printable.OneLine(strconv.Quote(rj.Key), 60), rj.Status, printable.OneLine(orEmpty(rj.Body), 100))
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "its requests: backflow-runner deliveries id:%d --run %d\n", r.SyncID, r.ID)
	return nil
}

// writeCounts writes a run's counters, a line each, for `runs show` and `sync`; the answers that
// delivered records of a `request` block (docs/destinations.md, "Answers that mean done") only
// when there were some.
func writeCounts(tw io.Writer, c controlplane.RunCounts) {
	for _, kv := range []struct {
		k string
		v int64
	}{{"extracted", c.Extracted}, {"invalid", c.Invalid}, {"new", c.New}, {"changed", c.Changed},
		{"deleted", c.Deleted}, {"delivered", c.Delivered}, {"rejected", c.Rejected}, {"failed", c.Failed}} {
		fmt.Fprintf(tw, "  %s\t%d\n", kv.k, kv.v)
	}
	for _, kv := range []struct {
		k, why string
		v      int64
	}{
		{"updated after 409", "creates answered 409 Conflict, sent again as the changed request", c.ResentAfterConflict},
		{"created after 404", "updates answered 404 Not Found, sent again as the new request", c.ResentAfterNotFound},
		{"present on 409", "creates answered 409 after an attempt that may have delivered them", c.PresentOnConflict},
		{"absent on delete", "deletes answered 404 Not Found: the record was already gone", c.AbsentOnDelete},
	} {
		if kv.v > 0 {
			fmt.Fprintf(tw, "  %s\t%d\t(of the delivered: %s)\n", kv.k, kv.v, kv.why)
		}
	}
}
