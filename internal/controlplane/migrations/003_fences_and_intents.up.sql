-- Backflow control plane, version 3: fencing tokens and delivery intents (see synclock.go).
--
-- A sync's fence is bumped by every runner that takes the sync's lock. A run carries the token it
-- got and every write it makes checks it under a row lock (FOR SHARE), in the same transaction:
-- once another runner has bumped the fence, a run that lost the lock commits nothing.
CREATE TABLE backflow.sync_fences (
    sync_id bigint PRIMARY KEY REFERENCES backflow.syncs (id) ON DELETE CASCADE,
    token   bigint NOT NULL
);

-- Keys a run is about to send, one row per batch, written (durably) before the batch is sent and
-- deleted in the transaction that records the batch's outcome in the ledger. Rows left behind
-- by a run that crashed or lost its lock mark keys that may have been delivered; the next run
-- turns them into ledger rows with an empty hash ("delivery not confirmed"), which it resends,
-- or, for a mirror sync whose model lost the key, deletes. keys packs the batch's keys as
-- (uvarint length, bytes) repeated.
CREATE TABLE backflow.sync_intents (
    sync_id bigint NOT NULL,
    run_id  bigint NOT NULL,
    batch   integer NOT NULL,
    keys    bytea NOT NULL,
    PRIMARY KEY (sync_id, run_id, batch)
);
ALTER TABLE backflow.sync_intents ALTER COLUMN keys SET STORAGE EXTERNAL;

CREATE OR REPLACE FUNCTION backflow.delete_sync_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM backflow.sync_ledger WHERE sync_id = OLD.id;
    DELETE FROM backflow.sync_ledger_pages WHERE sync_id = OLD.id;
    DELETE FROM backflow.sync_intents WHERE sync_id = OLD.id;
    RETURN OLD;
END $$;
