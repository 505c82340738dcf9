-- Backflow control plane, version 19: a run records how many of its delivered records a `request`
-- block's answers delivered (runner/answers.go), which only its log said before: creates answered
-- 409 Conflict and sent again as the changed request, updates answered 404 Not Found and sent
-- again as the new request, creates answered 409 after an attempt that may have delivered them
-- (append), and deletes answered 404. Adding a column with a constant default rewrites nothing.
ALTER TABLE backflow.sync_runs
    ADD COLUMN resent_after_conflict  bigint NOT NULL DEFAULT 0,
    ADD COLUMN resent_after_not_found bigint NOT NULL DEFAULT 0,
    ADD COLUMN present_on_conflict    bigint NOT NULL DEFAULT 0,
    ADD COLUMN absent_on_delete       bigint NOT NULL DEFAULT 0;
