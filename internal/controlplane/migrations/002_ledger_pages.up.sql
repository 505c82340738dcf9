-- Backflow control plane, version 2: ledger pages.
--
-- A first run (a sync whose ledger is empty) writes its ledger as pages: one row per delivered
-- batch, holding that batch's keys and hashes sorted by key bytes and packed (uvarint key length,
-- key, 16-byte hash, repeated). Batches come from the model read in key order, so pages never
-- overlap. A page costs one heap tuple, one index entry and a few WAL records instead of a
-- thousand of each. Later runs record changes as per-key rows in sync_ledger, which override
-- page entries; a row with a NULL hash (a tombstone) hides a deleted key's page entry.
CREATE TABLE backflow.sync_ledger_pages (
    sync_id   bigint NOT NULL,
    first_key text COLLATE "C" NOT NULL,
    last_key  text COLLATE "C" NOT NULL,
    entries   bytea NOT NULL,
    PRIMARY KEY (sync_id, first_key)
);
-- Hashes do not compress and keys little: compressing each page would only cost CPU.
ALTER TABLE backflow.sync_ledger_pages ALTER COLUMN entries SET STORAGE EXTERNAL;

ALTER TABLE backflow.sync_ledger ALTER COLUMN hash DROP NOT NULL;

CREATE OR REPLACE FUNCTION backflow.delete_sync_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM backflow.sync_ledger WHERE sync_id = OLD.id;
    DELETE FROM backflow.sync_ledger_pages WHERE sync_id = OLD.id;
    RETURN OLD;
END $$;
