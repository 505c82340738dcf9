-- Backflow control plane, version 4: more warehouse kinds. A connection is a webhook or a
-- warehouse of one of the kinds internal/warehouse has a driver for; the list grows with them.
ALTER TABLE backflow.connections DROP CONSTRAINT connections_kind_check;
ALTER TABLE backflow.connections ADD CONSTRAINT connections_kind_check
    CHECK (kind IN ('postgres', 'mysql', 'duckdb', 'webhook'));
