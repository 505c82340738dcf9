-- Backflow control plane, version 17: per-sync lookups of runs that cost as much for a sync with a
-- million runs as for one with ten, and what the daemon's run retention needs (see
-- Store.DeleteOldRuns).
--
-- Each CREATE INDEX holds its table's SHARE lock until the migration commits: writes to the
-- table wait until then (about 9 s for 2 million runs), reads do not. The tables are locked in
-- the order a runner's commit of a delivered batch writes them (rejected_records, then its run's
-- counters in sync_runs): in the other order the migration, holding sync_runs, and a runner of the
-- previous release, holding rejected_records, would wait for each other until Postgres ended one
-- of them with "deadlock detected".
--
-- Deleting a run checks the rejected records that name it (ON DELETE SET NULL): without an index,
-- one scan of the whole table per run deleted.
CREATE INDEX rejected_records_run_id ON backflow.rejected_records (run_id) WHERE run_id IS NOT NULL;
-- The run a sync's schedule counts from (Store.ScheduleBases): the ended run that served it with
-- the latest slot (or start, for a run started by hand), read with one index probe per sync
-- instead of an aggregate over every run ever recorded, on every poll of every daemon replica.
CREATE INDEX sync_runs_served_base ON backflow.sync_runs (sync_id, (coalesce(scheduled_for, started_at)), id)
    WHERE status IN ('succeeded', 'failed', 'blocked');
-- Runs still running: few at any time, read for the same purpose.
CREATE INDEX sync_runs_running ON backflow.sync_runs (sync_id) WHERE status = 'running';
-- A sync's newest run that served its schedule (see servedRun) and its newest succeeded run, which
-- retention keeps: read with one probe of an index whose predicate is the lookup's own, in the
-- order sync_runs_sync_id has (see newestRun in runs.go), so that no run is read and skipped.
CREATE INDEX sync_runs_served ON backflow.sync_runs (sync_id, id DESC) WHERE status IN ('succeeded', 'failed', 'blocked');
CREATE INDEX sync_runs_succeeded ON backflow.sync_runs (sync_id, id DESC) WHERE status = 'succeeded';
-- Retention deletes the runs that finished longest ago first.
CREATE INDEX sync_runs_finished_at ON backflow.sync_runs (finished_at);
