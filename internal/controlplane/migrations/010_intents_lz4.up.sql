-- Backflow control plane, version 10: intents' keys compressed with lz4 where the server has it.
-- A first run writes every key once as an intent and deletes it at the commit: the keys compress
-- about four times (they share prefixes and digits), and lz4 costs the server less than writing
-- them whole. pglz would cost more than it saves, so without lz4 they stay uncompressed.
DO $$
BEGIN
    IF 'lz4' = ANY ((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression')::text[]) THEN
        ALTER TABLE backflow.sync_intents ALTER COLUMN keys SET STORAGE EXTENDED;
        ALTER TABLE backflow.sync_intents ALTER COLUMN keys SET COMPRESSION lz4;
    END IF;
END $$;
