-- Backflow control plane, version 15: sequences and triggers from outside.
-- A sync's parents (schedule.after): it runs once each of them has succeeded since its own last
-- run. Deleting a parent removes it from its children's parents (Terraform replaces a sync by
-- deleting it first, then updates the children with the new id; a plan shows an out-of-band
-- deletion as drift). Cycles are refused by the store (Store.CreateSync/UpdateSync, under a lock,
-- see sequences.go).
CREATE TABLE backflow.sync_after (
    sync_id   bigint NOT NULL REFERENCES backflow.syncs (id) ON DELETE CASCADE,
    parent_id bigint NOT NULL REFERENCES backflow.syncs (id) ON DELETE CASCADE,
    PRIMARY KEY (sync_id, parent_id),
    CHECK (sync_id <> parent_id)
);
CREATE INDEX sync_after_parent_id ON backflow.sync_after (parent_id);

-- The parent runs whose success started a run (trigger 'after'), and the job that ran a run
-- queued from outside (trigger 'queued': `backflow-runner trigger`, POST /v1/syncs/{id}/runs).
ALTER TABLE backflow.sync_runs ADD COLUMN parent_runs bigint[];
ALTER TABLE backflow.sync_runs ADD COLUMN job_id bigint;
CREATE INDEX sync_runs_job_id ON backflow.sync_runs (job_id) WHERE job_id IS NOT NULL;
ALTER TABLE backflow.sync_runs DROP CONSTRAINT sync_runs_trigger_check;
ALTER TABLE backflow.sync_runs ADD CONSTRAINT sync_runs_trigger_check
    CHECK (trigger IN ('schedule', 'manual', 'full', 'mark', 'after', 'queued'));
