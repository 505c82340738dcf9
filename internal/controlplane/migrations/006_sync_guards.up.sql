-- Backflow control plane, version 6: guards. A sync's guard bounds what one run may send; a run
-- that would exceed it sends nothing and is recorded `blocked`.
ALTER TABLE backflow.syncs ADD COLUMN guard jsonb;
ALTER TABLE backflow.sync_runs DROP CONSTRAINT sync_runs_status_check;
ALTER TABLE backflow.sync_runs ADD CONSTRAINT sync_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'failed', 'canceled', 'blocked'));
