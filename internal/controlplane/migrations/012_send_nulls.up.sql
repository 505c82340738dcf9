-- Backflow control plane, version 12: a sync's NULL values may be left out of its records
-- (backflow_sync's send_nulls = false sets omit_nulls). Mapping types (hash, normalize,
-- metadata) live in the mappings JSON and need no column.
ALTER TABLE backflow.syncs ADD COLUMN omit_nulls boolean NOT NULL DEFAULT false;
