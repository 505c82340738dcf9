-- Backflow control plane, version 18: ledger pages' entries compressed with lz4 where the server
-- has it, as intents' keys are since version 10.
--
-- A first run writes one page per delivered batch: its keys and their 16-byte hashes, about 55 MB
-- for a million keys of the bench's users. Stored whole (version 2 set STORAGE EXTERNAL, so that
-- pglz, slower than writing them, would not compress them), they are about twice what lz4 makes
-- of them. Measured on a 2-core machine, a first run of a million users: the control plane's CPU
-- for the pages' COPY 0.68-0.69 core-s whole, 0.45-0.51 with lz4, the table 56 MB against 29 MB;
-- the next run (nothing changed) reads the pages for 0.18-0.22 core-s whole, 0.12-0.13 with lz4.
-- Pages already stored stay as they are (both forms are read alike); new ones are compressed.
-- Without lz4 nothing changes.
DO $$
BEGIN
    IF 'lz4' = ANY ((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression')::text[]) THEN
        ALTER TABLE backflow.sync_ledger_pages ALTER COLUMN entries SET STORAGE EXTENDED;
        ALTER TABLE backflow.sync_ledger_pages ALTER COLUMN entries SET COMPRESSION lz4;
    END IF;
END $$;
