package runner

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// TestRunErrorSaysWhatRanOut: a run that fails for want of file descriptors, or of the control
// plane's connection slots, says which ran out and what to change, after the error as it was.
// Before, under `ulimit -n 16` a run failed with `deliver to "hook": check the sync's fence:
// failed to connect to ...: dial tcp 127.0.0.1:5432: socket: too many open files`, and with the
// control plane's slots taken mid-run with `deliver to "hook": lease request slots of connection
// 2: failed to connect to ...: FATAL: remaining connection slots are reserved for non-replication
// superuser connections (SQLSTATE 53300)`: neither said it was the runner's limit, or the control
// plane, nor what to raise.
func TestRunErrorSaysWhatRanOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, controlplanetest.FullServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	e := &Engine{Store: controlplane.New(pool, nil)}
	_, cpErr := e.Store.GetRun(ctx, 1)
	_, otherErr := pgx.Connect(ctx, controlplanetest.FullServer(t)) // another server: a warehouse's
	if cpErr == nil || otherErr == nil {
		t.Fatalf("the full servers took a connection: %v, %v", cpErr, otherErr)
	}
	// As net/http and the net package return a dial that hit the limit.
	dial := func(errno syscall.Errno) error {
		return fmt.Errorf("deliver to %q: %w", "hook", &url.Error{Op: "Post", URL: "http://127.0.0.1:8091/hook",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", errno)}})
	}
	for _, tc := range []struct {
		name string
		err  error
		want []string // nil: the error as it was
	}{
		{"file descriptors", dial(syscall.EMFILE), []string{"too many open files; the runner is out of file descriptors", "LimitNOFILE", "ulimit -n", "--concurrency"}},
		{"the system's file table", dial(syscall.ENFILE), []string{"the system is out of file descriptors"}},
		{"control plane slots", fmt.Errorf("deliver to %q: lease request slots of connection 2: %w", "hook", cpErr),
			[]string{"(SQLSTATE 53300); the control plane's Postgres has no connection slot free", "max_connections",
				fmt.Sprintf("this runner's pool holds up to %d", e.Store.MaxConns())}},
		{"a warehouse's slots", fmt.Errorf("read the model %q: %w", "users", otherErr), nil},
		{"anything else", fmt.Errorf("read the model %q: %w", "users", syscall.ECONNREFUSED), nil},
	} {
		got := e.explainExhausted(tc.err).Error()
		if tc.want == nil && got != tc.err.Error() {
			t.Errorf("%s: %s, want the error as it was", tc.name, got)
		}
		if !strings.HasPrefix(got, tc.err.Error()) {
			t.Errorf("%s: %s does not start with the error as it was", tc.name, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: the error does not say %q: %s", tc.name, w, got)
			}
		}
	}
}

// emfileTransport fails every request as a dial does once the process has no file descriptor
// left.
type emfileTransport struct{}

func (emfileTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", syscall.EMFILE)}
}

// TestRunOutOfFileDescriptorsSaysSo: the engine puts explainExhausted's words in the run's
// record (what `sync`, `runs show` and the notifications show), and the run sends nothing more
// than it could; the next run, with descriptors back, sends every record.
func TestRunOutOfFileDescriptorsSaysSo(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.engine.Client = &http.Client{Transport: emfileTransport{}}
	run := f.run(controlplane.RunFailed, RunOptions{})
	if !strings.Contains(run.Error, "too many open files") || !strings.Contains(run.Error, "; the runner is out of file descriptors") ||
		run.Counts.Delivered != 0 {
		t.Errorf("run out of file descriptors: delivered %d, error %q", run.Counts.Delivered, run.Error)
	}
	f.engine.Client = nil
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 5 {
		t.Errorf("the run after sent %d records, want the 5 of the model", len(got))
	}
}
