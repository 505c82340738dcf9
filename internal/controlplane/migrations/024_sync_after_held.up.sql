-- Backflow control plane, version 24: a child whose parent was deleted is held.
-- Terraform replaces a parent (schedule.after) by deleting it, creating the new one, then writing
-- its children's after with the new id. The deletion removes the parent from its children's
-- parents (sync_after's cascade): until a child's after was written again, or for good when the
-- apply failed in between, the child ran once its other parents had succeeded, out of the order
-- the sequence is for. Deleting a sync records each child it leaves here (Store.DeleteSync), and
-- the daemon queues no run after its parents for such a child until its after is written again
-- (setAfter deletes its rows): the apply that goes on with the replacement, or the next one.
CREATE TABLE backflow.sync_after_held (
    sync_id     bigint NOT NULL REFERENCES backflow.syncs (id) ON DELETE CASCADE,
    parent_id   bigint NOT NULL,
    parent_name text NOT NULL,
    PRIMARY KEY (sync_id, parent_id)
);
