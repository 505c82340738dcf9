-- Backflow control plane, version 8: the backfill policy. A sync with initial = 'skip_existing'
-- records its model's current records as delivered on its first run instead of sending them;
-- such runs (and `sync --mark-delivered`) are recorded with trigger 'mark'.
ALTER TABLE backflow.syncs ADD COLUMN initial text NOT NULL DEFAULT 'send_all'
    CHECK (initial IN ('send_all', 'skip_existing'));
ALTER TABLE backflow.sync_runs DROP CONSTRAINT sync_runs_trigger_check;
ALTER TABLE backflow.sync_runs ADD CONSTRAINT sync_runs_trigger_check
    CHECK (trigger IN ('schedule', 'manual', 'full', 'mark'));
