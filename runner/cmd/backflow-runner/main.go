// Command backflow-runner executes Backflow syncs: as a daemon (`run`) or one at a time in the
// foreground (`sync`), queues runs for the daemons (`trigger`), and offers tools around them (`test`,
// `runs`, `migrate`, `rekey`, `receive`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
	"github.com/backflowhq/terraform-provider-backflow/internal/printable"
	"github.com/backflowhq/terraform-provider-backflow/internal/procenv"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// version is set by goreleaser (-ldflags "-X main.version=...").
var version = "dev"

const usage = `backflow-runner executes Backflow syncs: it reads each sync's model from its warehouse,
works out what changed since the last successful delivery, and posts it to the sync's webhook.

Usage:
  backflow-runner <command> [flags] [arguments]

Commands:
  run                        the daemon: run scheduled syncs until stopped (SIGTERM stops gracefully)
  sync NAME|ID [--full] [--dry-run]
                             run one sync now in the foreground and print its counters
  trigger NAME|ID [--wait] [--full]
                             queue a run for the daemons; --wait waits for it and exits non-zero if it failed
  test NAME|ID               send one record of the sync's model as a real request; print the answer
  runs [NAME|ID]             list recent runs with their counters and errors
  runs show RUN_ID           one run: its counters, error, invalid samples and refused records
  deliveries NAME|ID [--run ID] [--failed]
                             list the requests a sync's runs made, from the delivery log
  records NAME|ID --key KEY  one record's ledger state, rejection, and every request that carried it
  migrate                    apply the control-plane migrations (and the job queue's)
  rekey                      reseal every connection's secrets under a new key (BACKFLOW_NEW_SECRET_KEY)
  receive --listen ADDR      a local webhook receiver for trying things out
  version                    print the version

Environment:
  BACKFLOW_DATABASE_URL      the control-plane Postgres URL (or --database-url)
  BACKFLOW_SECRET_KEY        the key connection secrets are sealed with (32 bytes in base64)
  BACKFLOW_NEW_SECRET_KEY    rekey: the key to reseal them with
  BACKFLOW_RECEIVE_SECRET    receive: the signing secret to verify (or --secret)
  BACKFLOW_BLOCK_PRIVATE_NETWORKS
                             1: refuse webhooks at loopback and private addresses too
                             (link-local ones, such as 169.254.169.254, are always refused)
  BACKFLOW_ALLOWED_NETWORKS  comma-separated CIDRs webhooks may always be sent to
  BACKFLOW_API_TOKEN         run: the bearer token of the status page and the API (unset: API off,
                             page open to requests addressed to an IP address or localhost)

NAME|ID is a sync's name or id; id:N and name:NAME say which (a name that is another sync's id
is refused bare). Text from outside is printed with control characters escaped (\u001b).

Run 'backflow-runner help <command>' (or '<command> --help') for a command's flags.
`

func main() {
	// Before anything reads a model: a DuckDB model runs in this process and can read
	// /proc/self/environ (see internal/procenv). Go's own copy of the environment stays.
	if err := procenv.Scrub(procenv.Secret); err != nil {
		fmt.Fprintf(os.Stderr, "backflow-runner: warning: %v: a DuckDB model could read this process's BACKFLOW_ variables\n", err)
	}
	webhook.Version = version
	webhook.HideUnsolicitedAnswers() // net/http's log line would quote what an endpoint sent
	logStandardLog = true
	applyGCPercent()
	// SIGHUP too: a daemon started from a terminal that hangs up (an ssh session that drops)
	// stopped at once by default, its runs left to their leases, as after a kill.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	// The first SIGINT, SIGTERM or SIGHUP stops gracefully; once it has, the signals get their default
	// action again, so a second one ends the process at once (a stop that waits on a control
	// plane that does not answer can take minutes). What a killed run delivered without recording
	// it is resent by the next run (its intents), as after any kill.
	go func() {
		<-ctx.Done()
		stop()
	}()
	stopProfile := startCPUProfile()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name  string
	usage string // the command's help text, before its flags
	// noDatabase: the command never opens the control plane, so it has no --database-url.
	noDatabase bool
	setup      func(fs *flag.FlagSet) func(ctx context.Context, env *env, args []string) error
}

var commands = []command{runCommand, syncCommand, triggerCommand, testCommand, runsCommand, deliveriesCommand, recordsCommand,
	migrateCommand, rekeyCommand, receiveCommand}

// env is what every command gets: its output streams and the common flags.
type env struct {
	stdout, stderr io.Writer
	databaseURL    string
	logFormat      string
	logLevel       string
	log            *slog.Logger
	status         *statusWriter // nil unless stderr is a terminal
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// Everything printed may hold text from outside (a webhook's answer, a value or an error of
	// the warehouse, a name): it goes through printable, so that it cannot act on the terminal.
	// The status line alone writes its own escape sequences, to the terminal itself.
	terminal := stderr
	if p, ok := stderr.(*printable.Writer); ok { // help COMMAND: run again
		terminal = p.Unwrap()
	} else {
		stdout, stderr = printable.NewWriter(stdout), printable.NewWriter(stderr)
	}
	// No command is a usage error, like an unknown one: the usage goes to stderr and the exit
	// code is 2. Asking for help (help, --help, -h) prints it to stdout and exits 0.
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if isHelp(args[0]) {
		if len(args) > 1 && !isHelp(args[1]) {
			// help COMMAND is COMMAND --help.
			if _, ok := findCommand(args[1]); !ok && args[1] != "version" {
				fmt.Fprintf(stderr, "backflow-runner help: unknown command %q\n\n%s", args[1], usage)
				return 2
			}
			return run(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		if len(args) == 2 && isHelp(args[1]) {
			fmt.Fprint(stdout, "Usage: backflow-runner version\n\nPrints the runner's version.\n")
			return 0
		}
		if len(args) > 1 {
			fmt.Fprintf(stderr, "backflow-runner version: takes no arguments, got %q\n", strings.Join(args[1:], " "))
			return 2
		}
		fmt.Fprintln(stdout, "backflow-runner", version)
		return 0
	}
	// Checked once at startup so a typo stops the runner with the reason, rather than refusing
	// every webhook request later (or, worse, leaving the policy weaker than meant).
	if _, err := netpolicy.FromEnv(); err != nil {
		fmt.Fprintln(stderr, "backflow-runner:", err)
		return 2
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		fs := flag.NewFlagSet("backflow-runner "+c.name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		e := &env{stdout: stdout, stderr: stderr}
		// The environment is read after parsing, not given as the flag's default: flag prints
		// defaults in --help and usage errors, and the URL may carry a password.
		if !c.noDatabase {
			fs.StringVar(&e.databaseURL, "database-url", "",
				"control-plane Postgres URL (default: $"+controlplane.DatabaseURLEnv+")")
		}
		fs.StringVar(&e.logFormat, "log-format", "auto", "log format: auto (text on a terminal, JSON otherwise), text or json")
		fs.StringVar(&e.logLevel, "log-level", "info", "log level: debug, info, warn or error")
		do := c.setup(fs)
		fs.Usage = func() {
			fmt.Fprint(fs.Output(), c.usage, "\nFlags:\n")
			printFlags(fs)
		}
		// --help anywhere among the flags and names asks for help; not a flag's value (`records
		// X --key help`), nor what follows `--` (names, not flags: a sync named -h).
		for i := 1; i < len(args) && args[i] != "--"; i++ {
			if isHelp(args[i]) {
				fs.SetOutput(stdout)
				fs.Usage()
				return 0
			}
			if takesValue(fs, args[i]) {
				i++
			}
		}
		// flag's own report names a flag with one dash and says "parse error": the problem is
		// said here, as the commands' other usage errors are, then the usage.
		fs.SetOutput(io.Discard)
		pos, err := parseInterleaved(fs, args[1:])
		fs.SetOutput(stderr)
		if err != nil {
			fmt.Fprintf(stderr, "backflow-runner %s: %s\n\n", c.name, flagProblem(fs, err))
			fs.Usage()
			return 2
		}
		if e.databaseURL == "" && !c.noDatabase {
			e.databaseURL = os.Getenv(controlplane.DatabaseURLEnv)
		}
		logOut := io.Writer(stderr)
		if isTerminal(terminal) {
			e.status = &statusWriter{w: terminal}
			logOut = e.status
		}
		e.log, err = newLogger(logOut, isTerminal(terminal), e.logFormat, e.logLevel)
		if err != nil {
			fmt.Fprintln(stderr, "backflow-runner:", err)
			return 2
		}
		if logStandardLog {
			routeStandardLog(e.log)
		}
		if err := do(ctx, e, pos); err != nil {
			var ue usageError
			if errors.As(err, &ue) {
				fmt.Fprintf(stderr, "backflow-runner %s: %v\n\n", c.name, err)
				fs.Usage()
				return 2
			}
			if !errors.Is(err, errReported) {
				fmt.Fprintf(stderr, "backflow-runner %s: %v\n", c.name, err)
			}
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "backflow-runner: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "help" }

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// printFlags prints fs's flags as flag.PrintDefaults does, but spelled as they are documented:
// with two dashes (one works too).
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
		switch f.DefValue {
		case "", "false", "0", "0s":
		default:
			if name == "string" {
				line += fmt.Sprintf(" (default %q)", f.DefValue)
			} else {
				line += fmt.Sprintf(" (default %v)", f.DefValue)
			}
		}
		fmt.Fprintln(fs.Output(), line)
	})
}

// usageError is a mistake in the command line: it is printed with the usage.
type usageError string

func (u usageError) Error() string { return string(u) }

// atLeast is a usage error when flag's value v is below least: nil otherwise.
func atLeast[T int | int64](flag string, v, least T) error {
	if v < least {
		return usageError(fmt.Sprintf("--%s %d: want %d or more", flag, v, least))
	}
	return nil
}

// positive is a usage error when a duration flag's value d is not above 0: nil otherwise.
func positive(flag string, d time.Duration) error {
	if d <= 0 {
		return usageError(fmt.Sprintf("--%s %s: want a duration above 0 (such as 30s or 5m)", flag, d))
	}
	return nil
}

// errReported is returned by commands that already printed why they failed.
var errReported = errors.New("reported")

// parseInterleaved parses flags that come before or after positional arguments. After `--`
// every argument is positional (`sync -- -x --full` names two syncs), as a script writes
// `sync -- "$NAME"` for a name that may begin with a dash.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" && (n == 1 || !takesValue(fs, args[n-2])) {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagProblem says what is wrong in err, the flag package's error parsing fs's arguments: the
// flag as it is documented (--limit, not -limit) and, for a value it could not read, what the
// flag wants.
func flagProblem(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Sprintf("unknown flag --%s (the flags are below; a name that begins with a dash goes after --)", strings.TrimPrefix(name, "-"))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		name = strings.TrimPrefix(name, "-")
		return fmt.Sprintf("--%s needs a value: --%s VALUE", name, name)
	}
	// invalid value "x" for flag -limit: parse error; invalid boolean value "x" for -json: parse error
	if m := badFlagValue.FindStringSubmatch(msg); m != nil {
		name := strings.TrimPrefix(m[2], "-")
		want, given := m[3], " "+m[1]
		// A whole number the flag cannot hold (flag's "value out of range") is one: the range
		// is what it wants.
		outOfRange := m[3] == "value out of range"
		if f := fs.Lookup(name); f != nil {
			switch kind := fmt.Sprintf("%T", f.Value); kind {
			case "*flag.boolValue":
				want, given = fmt.Sprintf("true or false (--%s, or --%[1]s=false)", name), "="+m[1]
			case "*flag.intValue", "*flag.int64Value":
				want = "a whole number"
				if outOfRange && kind == "*flag.intValue" {
					want = fmt.Sprintf("a whole number from %d to %d", math.MinInt, math.MaxInt)
				} else if outOfRange {
					want = fmt.Sprintf("a whole number from %d to %d", math.MinInt64, math.MaxInt64)
				}
			case "*flag.uintValue", "*flag.uint64Value":
				want = "a whole number, 0 or more"
				if outOfRange && kind == "*flag.uintValue" {
					want = fmt.Sprintf("a whole number from 0 to %d", uint(math.MaxUint))
				} else if outOfRange {
					want = fmt.Sprintf("a whole number from 0 to %d", uint64(math.MaxUint64))
				}
			case "*flag.durationValue":
				want = "a duration such as 30s, 5m or 1h30m"
				// flag says "parse error" for one too long too (above 2562047h, time.Duration's).
				if v, err := strconv.Unquote(m[1]); err == nil && durationSyntax.MatchString(v) {
					want = fmt.Sprintf("a duration of at most %s", time.Duration(math.MaxInt64))
				}
			case "*flag.float64Value":
				want = "a number"
			}
		}
		return fmt.Sprintf("--%s%s: want %s", name, given, want)
	}
	return msg
}

// durationSyntax is what time.ParseDuration reads, whatever the size: a value of this form that
// it refuses is too long.
var durationSyntax = regexp.MustCompile(`^[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+$`)

var badFlagValue = regexp.MustCompile(`^invalid (?:boolean )?value (".*") for (?:flag )?-(\S+): (.*)$`)

// takesValue reports whether arg is a flag of fs that takes the next argument as its value
// (`--key --`: that "--" is the key, not the end of the flags).
func takesValue(fs *flag.FlagSet, arg string) bool {
	name, ok := strings.CutPrefix(arg, "-")
	if !ok || name == "" || name == "-" || strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(strings.TrimPrefix(name, "-"))
	if f == nil {
		return false
	}
	b, isBool := f.Value.(interface{ IsBoolFlag() bool })
	return !isBool || !b.IsBoolFlag()
}

func isTerminal(w io.Writer) bool {
	if p, ok := w.(*printable.Writer); ok {
		w = p.Unwrap()
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// statusWriter keeps a status line at the bottom of a terminal: log lines written through it
// erase the status line first, and the next status redraws it. w is the terminal itself: what is
// written is made printable here (printable), but for the escape sequences of the status line.
type statusWriter struct {
	mu     sync.Mutex
	w      io.Writer
	active bool
	// width is the terminal's width in columns (0: unknown); nil: asked of w (terminalWidth).
	width func() int
}

func (s *statusWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active {
		fmt.Fprint(s.w, "\r\033[K")
		s.active = false
	}
	return printable.NewWriter(s.w).Write(p)
}

// status replaces the status line; "" erases it. The line is cut to the terminal's width: a
// longer one wraps onto a second row, which the next redraw (it erases the cursor's row only)
// would leave behind.
func (s *statusWriter) status(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	width := 0
	if s.width != nil {
		width = s.width()
	} else {
		width = terminalWidth(s.w)
	}
	if width <= 0 {
		width = 80
	}
	fmt.Fprint(s.w, "\r\033[K", fitColumns(printable.Line(line), width-1))
	s.active = line != ""
}

// fitColumns is s cut to at most n characters, ending with "…" when it was cut. (A character is
// taken as one column: a line of wide characters may still wrap, which costs a stray row.)
func fitColumns(s string, n int) string {
	if n < 1 || utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-1]) + "…"
}

// logStandardLog is set by main: the process's standard log (and slog's default) is then the
// command's logger. Tests that call run in their own process leave it alone.
var logStandardLog bool

// routeStandardLog makes l the logger of the standard library's log package and of slog's
// default, which net/http (a server's TLS handshake errors, an endpoint's bytes after its
// answer) and River's migrations write to: their lines were plain text among the JSON lines of
// --log-format json. They are records of l at WARN, net/http's bytes from an endpoint still left
// out (webhook.HideUnsolicitedAnswers).
func routeStandardLog(l *slog.Logger) {
	slog.SetLogLoggerLevel(slog.LevelWarn)
	slog.SetDefault(l)
	webhook.HideUnsolicitedAnswers()
}

func newLogger(w io.Writer, tty bool, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	// JSON would print a duration as an integer of nanoseconds; a reader wants "1.5s".
	jsonOpts := &slog.HandlerOptions{Level: lv, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindDuration {
			return slog.String(a.Key, a.Value.Duration().String())
		}
		return a
	}}
	switch format {
	case "auto":
		if tty {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, jsonOpts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, jsonOpts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want auto, text or json", format)
}

// openStore connects to the control plane with room for maxConns connections and applies
// pending migrations, the control plane's and then River's (controlplane.Migrate, the one entry
// point the provider uses too). needKey: the command reads connection secrets.
func (e *env) openStore(ctx context.Context, needKey bool, maxConns int) (*controlplane.Store, error) {
	// A URL read from a file or a Kubernetes Secret keeps its final newline: it is not part of
	// the URL (pgx would read "sslmode=disable\n", or a database name ending in a newline).
	dbURL := strings.TrimSpace(e.databaseURL)
	if dbURL == "" {
		return nil, fmt.Errorf("no control-plane database: set %s or --database-url to a Postgres URL such as "+
			"postgres://user@host:5432/db", controlplane.DatabaseURLEnv)
	}
	var sealer *controlplane.Sealer
	if needKey {
		var err error
		if sealer, err = controlplane.SealerFromEnv(); err != nil {
			return nil, err
		}
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("the control-plane URL is not a valid Postgres URL: %s (the URL is not shown, it may hold a password)",
				parseConfigProblem(pe))
		}
		return nil, err
	}
	if controlplane.HasBadSettingName(cfg.ConnConfig.RuntimeParams) {
		return nil, errors.New("the control-plane URL is not a valid Postgres URL: " + controlplane.BadSettingNameProblem)
	}
	controlplane.BoundConnect(&cfg.ConnConfig.Config)
	if e.log != nil { // a query that waits says what for: waitnotice.go
		watchPool(cfg, e.log)
	}
	if maxConns > 0 && int(cfg.MaxConns) < maxConns {
		cfg.MaxConns = int32(maxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the control plane: %w", err)
	}
	if _, err := controlplane.Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return controlplane.New(pool, sealer), nil
}

// parseConfigProblem says what is wrong with a control-plane URL pgx refused, without its text:
// pgx's message ("invalid connect_timeout", "cannot parse pool_max_conns", "failed to configure
// TLS"), with its cause when that cannot quote the URL (a number that does not parse, "sslmode
// is invalid"). Whatever holds the URL's password is not shown.
func parseConfigProblem(pe *pgconn.ParseConfigError) string {
	const unknown = "pgx did not say which part is wrong"
	// pe.Error() is "cannot parse `<the URL, password masked>`: <msg>[ (<cause>)]"; only msg and
	// known causes are kept (a URL's parse error, for one, quotes the URL whole).
	text, cause := pe.Error(), errors.Unwrap(pe)
	if cause != nil {
		text = strings.TrimSuffix(text, " ("+cause.Error()+")")
	}
	i := strings.LastIndex(text, "`: ")
	if i < 0 {
		return unknown
	}
	msg := text[i+len("`: "):]
	var num *strconv.NumError
	switch {
	case cause == nil:
	case errors.As(cause, &num):
		msg += fmt.Sprintf(" (%q: %v)", num.Num, num.Err)
	case slices.Contains([]string{"sslmode is invalid", "negative timeout", "outside range",
		`both "sslcert" and "sslkey" are required`}, cause.Error()):
		msg += " (" + cause.Error() + ")"
	}
	if msg == "failed to parse as URL" {
		msg += " (its form is postgres://user:password@host:port/database?option=value, with @ : / ? # and % " +
			"in the user or the password percent-encoded)"
	}
	for _, pw := range urlPasswords(pe.ConnString) {
		if strings.Contains(msg, pw) {
			return unknown
		}
	}
	return msg
}

// urlPasswords are the passwords a connection string may hold: the URL's, its password
// option, or a keyword/value string's password=.
func urlPasswords(conn string) []string {
	var pws []string
	if u, err := url.Parse(conn); err == nil {
		if pw, ok := u.User.Password(); ok {
			pws = append(pws, pw)
		}
		pws = append(pws, u.Query()["password"]...)
	}
	for _, f := range strings.Fields(conn) {
		if pw, ok := strings.CutPrefix(f, "password="); ok {
			pws = append(pws, strings.Trim(pw, `'`))
		}
	}
	return slices.DeleteFunc(pws, func(pw string) bool { return pw == "" })
}

// openSync opens the store (with the secret key when withKey: commands that send or read the
// warehouse need it) and looks up the one sync args name. The caller closes the store.
func (e *env) openSync(ctx context.Context, args []string, withKey bool, conns int) (*controlplane.Store, *controlplane.Sync, error) {
	ref, err := oneRef(args)
	if err != nil {
		return nil, nil, err
	}
	store, err := e.openStore(ctx, withKey, conns)
	if err != nil {
		return nil, nil, err
	}
	y, err := findSync(ctx, store, ref)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, y, nil
}

// oneRef takes the single NAME|ID argument.
func oneRef(args []string) (string, error) {
	switch len(args) {
	case 0:
		return "", usageError("name the sync: its name (quoted if it has spaces) or its id")
	case 1:
		return args[0], nil
	}
	return "", usageError(fmt.Sprintf("one sync at a time, got %d arguments: %s (quote a name that has spaces)",
		len(args), strings.Join(args, " ")))
}
