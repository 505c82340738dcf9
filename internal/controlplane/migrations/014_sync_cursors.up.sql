-- Backflow control plane, version 14: incremental reads. A sync with a cursor (a model column
-- that only grows as rows change, e.g. updated_at) reads only the rows at or after the highest
-- cursor value its last successful run read, minus a lookback; every full_read_every it reads
-- the whole model (which finds a mirror sync's deletes).
ALTER TABLE backflow.syncs
    ADD COLUMN cursor_column text,
    ADD COLUMN cursor_lookback text,   -- a Go duration; NULL: the default
    ADD COLUMN full_read_every text;   -- a Go duration; NULL: the default

-- The high-water mark of a sync's cursor: written only by a successful run, in the fenced
-- transaction that records the run's end. definition is a digest of what the mark is valid for
-- (model, key, mappings, cursor column, destination, behavior): a run that finds another
-- digest reads the whole model.
CREATE TABLE backflow.sync_cursors (
    sync_id      bigint PRIMARY KEY REFERENCES backflow.syncs (id) ON DELETE CASCADE,
    definition   text NOT NULL,
    mark         text,                -- the highest cursor value read, as the warehouse prints it; NULL: none read
    full_read_at timestamptz NOT NULL, -- when the last successful full read started
    ledger_keys  bigint NOT NULL      -- keys delivered after that run (what max_changed_percent measures against)
);

-- What a cursor sync's run read: 'full' or 'incremental' (NULL for syncs without a cursor), and
-- the cursor value an incremental read started from.
ALTER TABLE backflow.sync_runs
    ADD COLUMN read_mode text CHECK (read_mode IN ('full', 'incremental')),
    ADD COLUMN read_from text;
