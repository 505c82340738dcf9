package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/printable"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

var runCommand = command{
	name: "run",
	usage: `Usage: backflow-runner run [flags]

Runs the daemon: every sync with a schedule (every or cron, UTC) runs when due; manual and paused
syncs do not. Several replicas against one control plane are safe: jobs go through River in the
control plane, and a sync never runs twice at once. SIGTERM, SIGINT or SIGHUP (a terminal that
hangs up) stops gracefully: running syncs get --stop-timeout to finish, then are canceled
(recorded as canceled; the next run resends what they had not delivered); a second signal ends
the process at once. Syncs with parents (schedule.after) run once every parent has succeeded
since their last run, and runs queued by 'backflow-runner trigger' or the API run as soon as a
replica is free.

On --listen: /healthz, Prometheus /metrics, the status page (GET /), and with
BACKFLOW_API_TOKEN set the API: POST /v1/syncs/{id or name}/runs and GET /v1/runs/{id}, which
need "Authorization: Bearer $BACKFLOW_API_TOKEN" (see docs/runner.md).
`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		listen := fs.String("listen", "127.0.0.1:9464", "address for /healthz, /metrics, the status page and the API (empty: none)")
		conc := fs.Int("concurrency", runner.DefaultConcurrency, localPacingConcurrency)
		localPacing := fs.Bool("local-pacing", false, localPacingUsage)
		maxSyncs := fs.Int("max-syncs", 4, "syncs this replica runs at once")
		poll := fs.Duration("poll-interval", 10*time.Second, "how often due syncs are looked for")
		stopTimeout := fs.Duration("stop-timeout", 30*time.Second, "how long a stop waits for running syncs before canceling them")
		retention := fs.Duration("delivery-retention", controlplane.DefaultDeliveryRetention,
			"how long the delivery log (deliveries, records) keeps a request, and the notification events a sent event; older ones are deleted")
		runRetention := fs.Duration("run-retention", controlplane.DefaultRunRetention,
			"how long a run is kept after it ended (runs, the status page); older ones are deleted, but for the last ones of each sync and those still needed")
		rescue := fs.Duration("rescue-after", 30*time.Minute, "how long a job may run before another replica deems its runner dead and takes it over "+
			"(a crashed runner's sync waits this long; a live run that takes longer is not stopped)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageError("run takes no arguments")
			}
			if err := errors.Join(atLeast("max-syncs", *maxSyncs, 1), atLeast("concurrency", *conc, 1),
				positive("poll-interval", *poll), positive("stop-timeout", *stopTimeout),
				positive("delivery-retention", *retention), positive("run-retention", *runRetention), positive("rescue-after", *rescue)); err != nil {
				return usageError(err.Error())
			}
			// A token of whitespace only would lock everyone out of the status page and the API
			// (tokens are compared without surrounding whitespace) while the log said the API is on.
			if tok := os.Getenv(runner.APITokenEnv); tok != "" && strings.TrimSpace(tok) == "" {
				return fmt.Errorf("%s holds only whitespace: set it to a long random value (openssl rand -hex 32), or unset it", runner.APITokenEnv)
			}
			// Per sync: the ledger read (or two lookups), two committers, one more; then the
			// requests of the status page and the API.
			store, err := e.openStore(ctx, true, *maxSyncs*5+6+runner.HTTPControlPlaneConns)
			if err != nil {
				return err
			}
			defer store.Close()
			reg := prometheus.NewRegistry()
			reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
			metrics := runner.NewMetrics(reg)
			if *listen != "" {
				ln, err := net.Listen("tcp", *listen)
				if err != nil {
					return fmt.Errorf("--listen %s: %w", *listen, err)
				}
				queue, err := runner.NewRunQueue(store, e.log)
				if err != nil {
					return err
				}
				// Bodies are small (a sign-in form, a run request): a client that trickles one, or
				// keeps a connection idle, is dropped rather than held.
				srv := &http.Server{Handler: runner.Handler(store, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), queue),
					ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
				go func() { _ = srv.Serve(ln) }()
				defer srv.Close()
				api := "off (set " + runner.APITokenEnv + " to serve it)"
				if os.Getenv(runner.APITokenEnv) != "" {
					api = "on (/v1/, bearer token " + runner.APITokenEnv + ")"
				}
				e.log.Info("serving /healthz, /metrics and the status page", "listen", ln.Addr().String(), "api", api)
				if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() && os.Getenv(runner.APITokenEnv) == "" {
					// Its Host check stops web pages (DNS rebinding), not the hosts that reach this
					// address: an operator who listens beyond loopback for the health checks (as in
					// a container) may not know they opened the page to them.
					e.log.Warn("the status page answers without a token on an address beyond loopback: whoever reaches "+
						ln.Addr().String()+" by IP address reads the syncs' errors and their endpoints' answers; set "+
						runner.APITokenEnv+" to ask for a token, or listen on 127.0.0.1", "listen", ln.Addr().String())
				}
			}
			d := &runner.Daemon{
				Engine: &runner.Engine{Store: store, Concurrency: *conc, LocalPacing: *localPacing, Metrics: metrics, Logger: e.log,
					ProgressEvery: runner.DaemonProgressEvery},
				Logger:            e.log,
				MaxSyncs:          *maxSyncs,
				PollInterval:      *poll,
				RescueAfter:       *rescue,
				StopTimeout:       *stopTimeout,
				DeliveryRetention: *retention,
				RunRetention:      *runRetention,
			}
			return d.Run(ctx)
		}
	},
}

var syncCommand = command{
	name: "sync",
	usage: `Usage: backflow-runner sync NAME|ID [--full] [--dry-run] [--accept-guard] [flags]

Runs one sync now, in the foreground, through the same engine and coordination as the daemon:
if another runner is running the sync, it waits for it. It prints the run's counters and exits
0 when the run succeeded (rejected records included), 1 when it failed, was blocked or canceled
or could not start, 2 on a usage error. Progress goes to stderr on a terminal, else to the log.

  --full          resend every current record (sends no deletes)
  --accept-guard  send what the sync's blocked last run held back (this run only); when the
                  last run was not blocked there is nothing to accept and the run is guarded
                  as usual. A run that would exceed the guard otherwise sends nothing and is
                  recorded blocked
  --mark-delivered --yes
                  record the model's current records as delivered WITHOUT sending them (the
                  endpoint already has them): later runs send only what changes after this.
                  Needs --yes, since nothing can undo it but a --full run
  --dry-run       print what would be sent (counts by operation, a few samples); send nothing,
                  record nothing, move nothing
`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		full := fs.Bool("full", false, "resend every current record; send no deletes")
		acceptGuard := fs.Bool("accept-guard", false, "send what the sync's blocked last run held back (this run only)")
		mark := fs.Bool("mark-delivered", false, "record the model's records as delivered without sending them (needs --yes)")
		yes := fs.Bool("yes", false, "confirm --mark-delivered")
		dry := fs.Bool("dry-run", false, "print what would be sent; send nothing")
		conc := fs.Int("concurrency", runner.DefaultConcurrency, localPacingConcurrency)
		localPacing := fs.Bool("local-pacing", false, localPacingUsage)
		samples := fs.Int("samples", 3, "with --dry-run: records shown per operation (0: none)")
		noLog := fs.Bool("no-delivery-log", false, "do not record the run's requests in the delivery log (to measure what it costs)")
		return func(ctx context.Context, e *env, args []string) error {
			if err := errors.Join(atLeast("concurrency", *conc, 1), atLeast("samples", *samples, 0)); err != nil {
				return usageError(err.Error())
			}
			if *mark && !*yes {
				return usageError("--mark-delivered records every current record of the model as delivered without " +
					"sending it, so they are never sent unless they change: add --yes to confirm")
			}
			if *mark && (*full || *dry) {
				return usageError("--mark-delivered cannot be combined with --full or --dry-run")
			}
			store, y, err := e.openSync(ctx, args, true, 8)
			if err != nil {
				return err
			}
			defer store.Close()
			eng := &runner.Engine{Store: store, Concurrency: *conc, LocalPacing: *localPacing, Logger: e.log, NoDeliveryLog: *noLog}
			if *dry {
				return dryRun(ctx, e, eng, y, *full, *samples)
			}
			var counters runner.Counters
			stopProgress := startProgress(e, y.Name, &counters)
			run, err := eng.Run(ctx, y.ID, runner.RunOptions{
				Trigger: controlplane.TriggerManual, Full: *full, AcceptGuard: *acceptGuard, MarkDelivered: *mark, Wait: true, Counters: &counters, EndReported: true,
				OnWait: func() {
					fmt.Fprintf(e.stderr, "sync %q is being run by another runner; waiting for it to finish...\n", y.Name)
				},
				OnNothingToAccept: func() { fmt.Fprintf(e.stderr, "sync %q: %s\n", y.Name, runner.NothingToAccept) },
			})
			stopProgress()
			if run == nil {
				return err
			}
			why, werr := runner.StoredKeyWithheld(ctx, store, y)
			if werr != nil {
				why = werr.Error() // not known: shown as if withheld
			}
			printRun(e.stdout, runner.ShownRun(why, y, run))
			printUnrecorded(e.stdout, run, err)
			if err != nil {
				return errReported
			}
			return nil
		}
	},
}

// printUnrecorded prints what err, a foreground run's error, says that the run's record does not:
// that its end could not be recorded (the control plane away, or out of connection slots, for
// longer than the run waits), after the run's own error if it failed too.
func printUnrecorded(w io.Writer, run *controlplane.Run, err error) {
	if end := endNotRecorded(err); end != nil {
		fmt.Fprintf(w, "not recorded:\n%s", wrap(end.Error()+"; `runs` shows it running until the sync's next run "+
			"closes it as canceled", errorWidth, "  "))
	} else if err != nil && run.Error == "" {
		// The run ended well but its end could not be recorded (its lock was lost).
		fmt.Fprintf(w, "error:\n%s", wrap(err.Error(), errorWidth, "  "))
	}
}

// endNotRecorded is the part of err, as Engine.Run returns it (errors.Join of the run's error
// and this one), that says the run's end was not recorded; nil if none does.
func endNotRecorded(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if errors.Is(e, runner.ErrEndNotRecorded) {
				return e
			}
		}
	}
	if errors.Is(err, runner.ErrEndNotRecorded) {
		return err
	}
	return nil
}

// Usage of the pacing flags, shared by the commands that deliver.
const (
	localPacingConcurrency = "requests in flight to a connection whose rate_limit sets no max_concurrency (fixed mode)"
	localPacingUsage       = "pace each connection's requests in this process alone instead of sharing its rate with " +
		"every runner through the control plane (for a single runner, or to measure what sharing costs)"
)

// startProgress shows live counters: a status line redrawn on a terminal, else a log line every
// 10 s.
func startProgress(e *env, name string, c *runner.Counters) (stop func()) {
	every := 10 * time.Second
	if e.status != nil {
		every = 250 * time.Millisecond
	}
	stopTick := runner.Tick(every, func(elapsed time.Duration) {
		line, attrs := describeProgress(name, c, elapsed)
		if e.status != nil {
			e.status.status(line)
		} else {
			e.log.Info("sync progress", attrs...)
		}
	})
	return func() {
		stopTick()
		if e.status != nil {
			e.status.status("")
		}
	}
}

// describeProgress is a run's progress after elapsed, as a status line for a terminal and the
// attributes of a log line (runner.Counters.Describe, with the sync's name).
func describeProgress(name string, c *runner.Counters, elapsed time.Duration) (line string, attrs []any) {
	text, attrs := c.Describe(elapsed)
	return printable.Line(name) + ": " + text, append([]any{"sync", name}, attrs...)
}

func printRun(w io.Writer, r *controlplane.Run) {
	fmt.Fprintf(w, "run %d of sync %q: %s in %s (trigger %s)\n", r.ID, r.SyncName, r.Status,
		r.Duration().Round(time.Millisecond), r.Trigger)
	if s := readText(r.ReadMode, r.ReadFrom); s != "" {
		fmt.Fprintf(w, "  read      %s\n", s)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeCounts(tw, r.Counts)
	if pace := r.PaceText(); pace != "" {
		fmt.Fprintf(tw, "  pace\t%s\n", pace)
	}
	tw.Flush()
	if len(r.InvalidSamples) > 2 {
		fmt.Fprintf(w, "invalid samples: %s\n", r.InvalidSamples)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "error:\n%s", wrap(r.Error, errorWidth, "  "))
	}
}

// readText says what a cursor sync's run read: "full", or "incremental, from <value>"; empty
// for a sync without a cursor.
func readText(mode, from string) string {
	if mode == controlplane.ReadIncremental {
		return mode + ", from " + strconv.Quote(from)
	}
	return mode
}

func dryRun(ctx context.Context, e *env, eng *runner.Engine, y *controlplane.Sync, full bool, samples int) error {
	dr, err := eng.DryRun(ctx, y.ID, full, samples)
	if err != nil {
		return err
	}
	c := dr.Counts
	fmt.Fprintf(e.stdout, "dry run of sync %q (%s): nothing was sent, the ledger did not move\n", y.Name, y.Behavior)
	now := "a run now"
	if y.Paused {
		// As the plan's preview of a paused sync: no run sends this until the sync is resumed
		// (`sync NAME` refuses it), which the counts alone do not say.
		fmt.Fprintf(e.stdout, "the sync is paused (%s): a run now sends nothing; set paused = false on the sync to run it. "+
			"What follows is what a run would send once resumed, as the warehouse is now\n", cmp.Or(y.PausedReason, "paused in its definition"))
		now = "once resumed, a run"
	}
	if s := readText(dr.ReadMode, dr.ReadFrom); s != "" {
		if dr.ReadWhy != "" {
			s += " (" + dr.ReadWhy + ")"
		}
		fmt.Fprintf(e.stdout, "  read       %s\n", s)
	}
	if dr.FullReadDue != "" {
		fmt.Fprintf(e.stdout, "  full read  a run started at %s or later reads the whole model (full_read_every = %s), and sends "+
			"the deletes and the changes the cursor missed, which these counts leave out\n", dr.FullReadDue, dr.FullReadEvery)
	}
	if dr.FutureCursor != "" {
		fmt.Fprintf(e.stdout, "  cursor     a row's %s is in the future (%s, above %s): the mark leaves it out, and every run "+
			"reads it again until it is corrected\n", y.Cursor, dr.FutureCursor, dr.MarkCap)
	}
	fmt.Fprintf(e.stdout, "  extracted  %d\n  invalid    %d\n", c.Extracted, c.Invalid)
	fmt.Fprintf(e.stdout, "  changed    %d (new %d, changed %d)\n  deleted    %d\n", c.New+c.Changed, c.New, c.Changed, c.Deleted)
	for _, op := range []string{webhook.OpChanged, webhook.OpDeleted} {
		if len(dr.Samples[op]) == 0 {
			continue
		}
		fmt.Fprintf(e.stdout, "sample %q records:\n", op)
		if dr.KeyWithheld != "" {
			fmt.Fprintf(e.stdout, "  (the key's value shown as \"(withheld)\": %s)\n", dr.KeyWithheld)
		}
		for _, s := range dr.Samples[op] {
			fmt.Fprintf(e.stdout, "  %s\n", s)
		}
	}
	if len(dr.Requests) > 0 {
		fmt.Fprintf(e.stdout, "sample requests (the connection's URL shown as scheme and host only):\n")
	}
	for _, r := range dr.Requests {
		if r.Err != "" {
			fmt.Fprintf(e.stdout, "  %s: NOT SENT, the record is rejected: %s\n", r.Operation, r.Err)
			continue
		}
		fmt.Fprintf(e.stdout, "  %s: %s %s\n", r.Operation, r.Method, r.URL)
		if r.ContentType != "" {
			fmt.Fprintf(e.stdout, "    Content-Type: %s\n", r.ContentType)
		}
		if r.Body != "" {
			fmt.Fprintf(e.stdout, "%s\n", indent(r.Body, "    "))
		}
	}
	if len(dr.InvalidSamples) > 2 {
		fmt.Fprintf(e.stdout, "invalid samples: %s\n", dr.InvalidSamples)
	}
	if dr.NoKeyInCommon != "" {
		fmt.Fprintf(e.stdout, "note: %s\n", dr.NoKeyInCommon)
	}
	switch {
	case dr.Mark:
		fmt.Fprintf(e.stdout, "%s would record these records as delivered WITHOUT sending them "+
			"(initial = %q: its runs mark until one succeeds)\n", now, y.Initial)
	case dr.Blocked != "":
		flags := "--accept-guard" // a --full run's: --full too, as a run without it diffs
		if full {
			flags = "--full --accept-guard"
		}
		// --accept-guard accepts a block a run recorded, and no other (runner.NothingToAccept).
		fmt.Fprintf(e.stdout, "%s would be BLOCKED by the sync's guard and send nothing: %s; "+
			"once a run has recorded the block, `backflow-runner sync %s %s` sends it\n", now, dr.Blocked, printable.ShellWord(y.Name), flags)
	}
	return nil
}

var testCommand = command{
	name: "test",
	usage: `Usage: backflow-runner test NAME|ID [flags]

Sends one record of the sync's model to its destination as a real "changed" request (like
Census's test sync) and prints the endpoint's status and body. A sync with a request block
sends its "new" request rendered for the record instead. Nothing is recorded: the ledger
does not move, so the next run still sends the record. Exits non-zero unless the answer is 2xx.
`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		return func(ctx context.Context, e *env, args []string) error {
			store, y, err := e.openSync(ctx, args, true, 0)
			if err != nil {
				return err
			}
			defer store.Close()
			res, err := (&runner.Engine{Store: store, Logger: e.log}).Test(ctx, y.ID)
			if err != nil {
				return err
			}
			body := res.Body
			if body == "" {
				body = "(empty)"
			}
			fmt.Fprintf(e.stdout, "sent 1 record of sync %q (%s):\n  %s\n", y.Name, res.Method, res.Record)
			if res.KeyWithheld != "" {
				fmt.Fprintf(e.stdout, "  (the key's value shown as \"(withheld)\": %s)\n", res.KeyWithheld)
			}
			fmt.Fprintf(e.stdout, "status: %d %s\nbody:\n%s\n", res.Status, http.StatusText(res.Status), body)
			if res.Status < 200 || res.Status > 299 {
				return fmt.Errorf("the endpoint answered HTTP %d, not 2xx", res.Status)
			}
			return nil
		}
	},
}

var migrateCommand = command{
	name: "migrate",
	usage: `Usage: backflow-runner migrate [flags]

Applies pending control-plane migrations, then the job queue's (River's, in the same schema).
Safe to run from several places at once. The provider and every command that opens the control
plane apply both themselves when they connect, through the same code; run migrate in a deploy step
if you prefer the schema changed before the new binaries start.
`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageError("migrate takes no arguments")
			}
			// Opening the store migrates (controlplane.Migrate): the control plane, then River.
			store, err := e.openStore(ctx, false, 0)
			if err != nil {
				return err
			}
			store.Close()
			fmt.Fprintf(e.stdout, "control plane at schema version %d; job queue migrated\n", controlplane.LatestVersion())
			return nil
		}
	},
}

// receiveSecretEnv holds receive's default --secret.
const receiveSecretEnv = "BACKFLOW_RECEIVE_SECRET"

var receiveCommand = command{
	name:       "receive",
	noDatabase: true,
	usage: `Usage: backflow-runner receive --listen ADDR [--secret whsec_...] [--json | --compact] [flags]

A local webhook receiver for trying things out: it prints every request and answers 200 to each
webhook envelope (a sync without a request block sends them) and to HEAD, 400 to a body that is
not an envelope, 405 to other methods. With a signing secret it verifies Standard Webhooks
signatures and answers 401 to those that fail. Give the secret in ` + receiveSecretEnv + `: --secret works too, but a command line is
visible to every user in ps.

When it listens it prints "listening on http://ADDR" to stderr, with the address it bound: with
--listen 127.0.0.1:0 the system picks a free port, and scripts read it there. With --json each
request is printed to stdout as one JSON object per line (time, method, path, webhook_id,
signature: verified, unsigned, unchecked or bad, signature_error, operation, records, status,
error, body). GET ` + webhook.ReceiverStatsPath + ` answers the counts so far as JSON (requests, envelopes,
records, bad_signatures, records_by_operation). With --compact each request is one line without
its body; that is the default when stdout is not a terminal (--compact=false prints bodies).
`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
		// The default is read after parsing, not given to the flag: flag prints defaults in --help
		// and usage errors, and this one is a secret.
		secret := fs.String("secret", "", "signing secret to verify (default: $"+receiveSecretEnv+")")
		asJSON := fs.Bool("json", false, "print each request as one JSON object per line")
		compact := fs.Bool("compact", false, "print one line per request, without its body (default when stdout is not a terminal)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageError("receive takes no arguments")
			}
			source := "--secret"
			if *secret == "" {
				*secret, source = os.Getenv(receiveSecretEnv), receiveSecretEnv
			} else {
				fmt.Fprintf(e.stderr, "warning: --secret shows the signing secret to every user of this machine (ps); "+
					"set %s instead\n", receiveSecretEnv)
			}
			// A secret read from a file keeps its final newline: it is not part of the secret.
			// One that cannot verify anything is refused now, not at every request (401).
			*secret = strings.TrimSpace(*secret)
			if *secret != "" {
				if _, err := webhook.ParseSigningSecret(*secret); err != nil {
					return fmt.Errorf("%s: %w", source, err)
				}
			}
			ln, err := net.Listen("tcp", *listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", *listen, err)
			}
			compactSet := false
			fs.Visit(func(f *flag.Flag) { compactSet = compactSet || f.Name == "compact" })
			recv := webhook.NewReceiver(e.stdout, *secret)
			switch {
			case *asJSON:
				recv = webhook.NewJSONReceiver(e.stdout, *secret)
			case *compact || !compactSet && !isTerminal(e.stdout):
				recv = webhook.NewCompactReceiver(e.stdout, *secret)
			}
			srv := &http.Server{Handler: recv, ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(e.stderr, "listening on http://%s\n", ln.Addr())
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}
	},
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
