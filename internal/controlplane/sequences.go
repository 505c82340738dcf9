package controlplane

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Sequences: a sync with parents (schedule.after, backflow.sync_after) runs once every parent has
// succeeded since the sync's own last run. The rule (SequenceState.Ready) is read from run
// records only, so a daemon that restarts, or another replica, reaches the same answer. The
// parents' graph has no cycle: setAfter refuses one under a lock, whatever the provider saw at
// plan time.

// ErrCycle is matched (errors.Is) by a CycleError.
var ErrCycle = errors.New("schedule.after forms a cycle")

// CycleError is a set of parents that would make syncs wait on each other forever. Names are the
// syncs along the cycle, each running after the next; the last runs after the first.
type CycleError struct{ Names []string }

func (e *CycleError) Error() string {
	if len(e.Names) == 1 {
		return fmt.Sprintf("sync %q cannot run after itself: remove its own id from schedule.after", e.Names[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "schedule.after forms a cycle: sync %q runs after %q", e.Names[0], e.Names[1])
	for i := 1; i < len(e.Names); i++ {
		fmt.Fprintf(&b, ", %q after %q", e.Names[i], e.Names[(i+1)%len(e.Names)])
	}
	b.WriteString(", so none of them would ever run: remove one of these parents")
	return b.String()
}

// Is makes errors.Is(err, ErrCycle) true.
func (e *CycleError) Is(target error) bool { return target == ErrCycle }

// FindCycle returns the syncs of a cycle through start in the parents graph (sync id → its
// parents' ids), start first, each running after the next and the last after start; nil when
// there is none. The stored graph has no cycle, so a change to one sync's parents can only form
// one through that sync.
func FindCycle(parents map[int64][]int64, start int64) []int64 {
	seen := map[int64]bool{}
	var path []int64
	var walk func(id int64) bool
	walk = func(id int64) bool {
		path = append(path, id)
		for _, p := range parents[id] {
			if p == start {
				return true
			}
			if !seen[p] {
				seen[p] = true
				if walk(p) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if walk(start) {
		return path
	}
	return nil
}

// NormalizeAfter sorts parent ids and drops repeats, as the control plane stores them.
func NormalizeAfter(ids []int64) []int64 {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// afterColumn reads a sync's parents, for syncColumns: NULL (a nil slice) when it has none.
const afterColumn = `(SELECT array_agg(a.parent_id ORDER BY a.parent_id) FROM backflow.sync_after a
	WHERE a.sync_id = syncs.id)`

// afterLockKey is the transaction lock that serialises changes of the parents' graph, so two
// concurrent changes cannot each miss the half of a cycle the other adds.
const afterLockKey int64 = 0x62666166 << 32 // "bfaf"

// setAfter replaces y's parents with y.After, in tx, and refuses a change that forms a cycle.
func setAfter(ctx context.Context, tx pgx.Tx, y *Sync) error {
	y.After = NormalizeAfter(y.After)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, afterLockKey); err != nil {
		return fmt.Errorf("lock the syncs' parents: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM backflow.sync_after WHERE sync_id = $1`, y.ID); err != nil {
		return err
	}
	// Its after written, y is no longer held by a deleted parent (Store.DeleteSync).
	if _, err := tx.Exec(ctx, `DELETE FROM backflow.sync_after_held WHERE sync_id = $1`, y.ID); err != nil {
		return err
	}
	if len(y.After) == 0 {
		return nil
	}
	if slices.Contains(y.After, y.ID) {
		return &CycleError{Names: []string{y.Name}}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO backflow.sync_after (sync_id, parent_id) SELECT $1, unnest($2::bigint[])`,
		y.ID, y.After); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" {
			return fmt.Errorf("sync %q: schedule.after names a sync that does not exist (ids %v): %w", y.Name, y.After, ErrNotFound)
		}
		return err
	}
	rows, err := tx.Query(ctx, `SELECT a.sync_id, a.parent_id, s.name FROM backflow.sync_after a
		JOIN backflow.syncs s ON s.id = a.sync_id`)
	if err != nil {
		return err
	}
	graph := map[int64][]int64{}
	names := map[int64]string{}
	for rows.Next() {
		var id, parent int64
		var name string
		if err := rows.Scan(&id, &parent, &name); err != nil {
			rows.Close()
			return err
		}
		graph[id] = append(graph[id], parent)
		names[id] = name
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if cycle := FindCycle(graph, y.ID); cycle != nil {
		e := &CycleError{}
		for _, id := range cycle {
			e.Names = append(e.Names, names[id])
		}
		return e
	}
	return nil
}

// SequenceState is what a sync with parents needs to know whether it is due: its last run's
// start and each parent's latest run.
type SequenceState struct {
	SyncID int64
	// LastStart is the start of the sync's newest run that served it (see servedRun); zero: it
	// never ran.
	LastStart time.Time
	Parents   []ParentState
}

// ParentState is a parent's newest run that counts (see servedRun): ended succeeded, failed or
// blocked, or running under its lock. Canceled runs do not count.
type ParentState struct {
	SyncID     int64
	RunID      int64 // 0: the parent never ran
	Status     string
	FinishedAt time.Time
}

// Ready reports whether the sync is due: every parent's newest run succeeded, and finished after
// the sync's last run started. A parent whose newest run failed, was blocked or is running holds
// the sync until it succeeds. runs are the parent runs that make it due (by parent id), and since
// is when the last of them finished.
func (s SequenceState) Ready() (runs []int64, since time.Time, ok bool) {
	if len(s.Parents) == 0 {
		return nil, time.Time{}, false
	}
	for _, p := range s.Parents {
		if p.RunID == 0 || p.Status != RunSucceeded || !p.FinishedAt.After(s.LastStart) {
			return nil, time.Time{}, false
		}
		runs = append(runs, p.RunID)
		if p.FinishedAt.After(since) {
			since = p.FinishedAt
		}
	}
	return runs, since, true
}

// SequenceStates returns the state of every sync that has parents, by sync id; but those held
// since a parent of theirs was deleted, until their after is written again (Store.DeleteSync): a
// parent Terraform replaces is deleted before the child's after names the new one, and the child
// must not run after its other parents alone meanwhile.
func (s *Store) SequenceStates(ctx context.Context) ([]SequenceState, error) {
	rows, err := s.db.Query(ctx, `SELECT a.sync_id, a.parent_id, coalesce(p.id, 0), coalesce(p.status, ''),
			p.finished_at, c.started_at
		FROM backflow.sync_after a
		LEFT JOIN LATERAL (SELECT r.id, r.status, r.finished_at FROM backflow.sync_runs r
			WHERE r.sync_id = a.parent_id AND `+servedRun+` ORDER BY r.id DESC LIMIT 1) p ON true
		LEFT JOIN LATERAL (SELECT r.started_at FROM backflow.sync_runs r
			WHERE r.sync_id = a.sync_id AND `+servedRun+` ORDER BY r.id DESC LIMIT 1) c ON true
		WHERE NOT EXISTS (SELECT FROM backflow.sync_after_held h WHERE h.sync_id = a.sync_id)
		ORDER BY a.sync_id, a.parent_id`)
	if err != nil {
		return nil, fmt.Errorf("read the syncs' parents and their runs: %w", err)
	}
	defer rows.Close()
	var out []SequenceState
	for rows.Next() {
		var id int64
		var p ParentState
		var finished, last *time.Time
		if err := rows.Scan(&id, &p.SyncID, &p.RunID, &p.Status, &finished, &last); err != nil {
			return nil, err
		}
		if finished != nil {
			p.FinishedAt = *finished
		}
		if len(out) == 0 || out[len(out)-1].SyncID != id {
			st := SequenceState{SyncID: id}
			if last != nil {
				st.LastStart = *last
			}
			out = append(out, st)
		}
		out[len(out)-1].Parents = append(out[len(out)-1].Parents, p)
	}
	return out, rows.Err()
}

// AfterHeld returns, by sync id, the names of the deleted parents that hold each sync held since
// (Store.DeleteSync): its runs after its parents wait until its after is written again.
func (s *Store) AfterHeld(ctx context.Context) (map[int64][]string, error) {
	rows, err := s.db.Query(ctx, `SELECT sync_id, parent_name FROM backflow.sync_after_held ORDER BY sync_id, parent_name`)
	if err != nil {
		return nil, fmt.Errorf("read the syncs held by a deleted parent: %w", err)
	}
	defer rows.Close()
	held := map[int64][]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		held[id] = append(held[id], name)
	}
	return held, rows.Err()
}

// HeldBy returns the ids of the deleted parents that hold sync id (Store.DeleteSync), sorted;
// none when its after was written since. The provider reads them into the sync's after, so that a
// plan writes it: a child whose stored after already matches its configuration (its parent
// removed on purpose, and the apply stopped between the deletion and the child's write) would
// otherwise plan no change and stay held.
func (s *Store) HeldBy(ctx context.Context, id int64) ([]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT parent_id FROM backflow.sync_after_held WHERE sync_id = $1 ORDER BY parent_id`, id)
	if err != nil {
		return nil, fmt.Errorf("read the deleted parents that hold sync %d: %w", id, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
