-- Backflow control plane, version 5: the delivery log (see deliveries.go).
--
-- One row per request a run made (one webhook-id: a batch, or a part bisection split off, with
-- all its retries): what it carried and what the endpoint answered. keys packs the request's
-- keys as an intent does, (uvarint length, bytes) repeated; first_key and last_key bound them,
-- so the requests that carried one key are found by range and then by unpacking. Rows are
-- written in groups while a run goes on, not in the ledger's transactions: the log tells an
-- operator what happened, it does not decide what is resent. The daemon deletes rows older than
-- its retention (14 days by default).
CREATE TABLE backflow.sync_deliveries (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sync_id    bigint NOT NULL REFERENCES backflow.syncs (id) ON DELETE CASCADE,
    run_id     bigint NOT NULL,
    webhook_id text NOT NULL,
    operation  text NOT NULL,
    records    integer NOT NULL,
    first_key  text COLLATE "C" NOT NULL,
    last_key   text COLLATE "C" NOT NULL,
    sent_at    timestamptz NOT NULL,
    attempts   integer NOT NULL,
    -- The last attempt's HTTP status, 0 when it got no response (error says why).
    status     integer NOT NULL,
    latency_us bigint NOT NULL,
    -- The first KiB of the last answer, when it was not a 2xx.
    body       text,
    error      text,
    keys       bytea NOT NULL
);
-- Keys compress about four times (they share prefixes and digits): with lz4 that costs the server
-- less than writing them whole. pglz would cost more than it saves, so a server built without lz4
-- stores them uncompressed.
DO $$
BEGIN
    IF 'lz4' = ANY ((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression')::text[]) THEN
        ALTER TABLE backflow.sync_deliveries ALTER COLUMN keys SET COMPRESSION lz4;
    ELSE
        ALTER TABLE backflow.sync_deliveries ALTER COLUMN keys SET STORAGE EXTERNAL;
    END IF;
END $$;
CREATE INDEX sync_deliveries_run ON backflow.sync_deliveries (sync_id, run_id);
CREATE INDEX sync_deliveries_key_range ON backflow.sync_deliveries (sync_id, first_key);
CREATE INDEX sync_deliveries_sent_at ON backflow.sync_deliveries (sent_at);
