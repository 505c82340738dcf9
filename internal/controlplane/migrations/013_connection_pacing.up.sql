-- Backflow control plane, version 13: pacing shared by every runner, and what adaptive pacing
-- learned, per webhook connection; the pace a run settled on.
CREATE TABLE backflow.connection_pacing (
    connection_id       bigint PRIMARY KEY REFERENCES backflow.connections (id) ON DELETE CASCADE,
    -- The connection's request timeline, shared by every runner (a generic cell rate
    -- algorithm): a runner leasing n slots at r requests/s gets them from
    -- greatest(next_slot, now) on, 1/r apart, and moves next_slot past them. One row update
    -- per lease; the row lock orders concurrent leases.
    next_slot           timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- What adaptive pacing learned (requests per second, requests in flight): where the next run
    -- to the connection starts.
    learned_rate        double precision,
    learned_concurrency integer,
    learned_at          timestamptz
);

ALTER TABLE backflow.sync_runs
    -- The pace the run ended at: requests per second (NULL: not paced) and requests in flight.
    ADD COLUMN pace_rate        double precision,
    ADD COLUMN pace_concurrency integer;
