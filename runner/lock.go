package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// syncLock is a sync's session-level advisory lock, held on a dedicated connection for a run's
// whole duration. Every runner — daemon replicas and the foreground `sync` command — takes it
// before running a sync, so a sync never runs twice at once; if the runner dies, its session
// and so the lock die with it.
type syncLock struct {
	conn *pgx.Conn
	key  int64 // controlplane.SyncLockKey: a bigint key, since sync ids are bigint
}

// lockSync takes sync id's lock. When another session holds it, it returns ErrBusy, or with wait
// calls onWait and blocks until it gets the lock or ctx ends.
func lockSync(ctx context.Context, store *controlplane.Store, id int64, wait bool, onWait func()) (*syncLock, error) {
	cfg := store.Pool().Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "backflow-runner sync lock"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the control plane for the sync's lock: %w", err)
	}
	key := controlplane.SyncLockKey(id)
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1::int8)`, key).Scan(&ok); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("take the sync's lock: %w", err)
	}
	if !ok {
		if !wait {
			_ = conn.Close(context.WithoutCancel(ctx))
			return nil, ErrBusy
		}
		if onWait != nil {
			onWait()
		}
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1::int8)`, key); err != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
			if ctx.Err() != nil {
				return nil, fmt.Errorf("stopped waiting for the sync's lock: %w", ctx.Err())
			}
			return nil, fmt.Errorf("wait for the sync's lock: %w", err)
		}
	}
	return &syncLock{conn: conn, key: key}, nil
}

// release unlocks and closes the connection. The explicit unlock matters: a closed session's
// locks are freed only once its backend has exited, which a run started right after could beat.
func (l *syncLock) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1::int8)`, l.key)
	_ = l.conn.Close(ctx)
}

// lockCheckInterval is how often a held lock's session is checked.
const lockCheckInterval = 15 * time.Second

// watch checks the lock's session until stop is called; if the session is gone (the lock with
// it), it cancels the run with a cause that says so.
func (l *syncLock) watch(ctx context.Context, every time.Duration, cancel context.CancelCauseFunc) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
				err := l.conn.Ping(pctx)
				pcancel()
				if err != nil && ctx.Err() == nil {
					cancel(fmt.Errorf("lost the sync's lock (its control-plane connection failed: %w); "+
						"stopped so that no other runner runs the sync at the same time", err))
					return
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
