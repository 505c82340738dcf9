-- Backflow control plane, version 1: connections, models, syncs, and the runner's tables.

CREATE TABLE backflow.connections (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE CHECK (name <> ''),
    kind           text NOT NULL CHECK (kind IN ('postgres', 'webhook')),
    -- Settings that are not secret (webhook method, pacing, test_on_save).
    config         jsonb NOT NULL DEFAULT '{}',
    -- AES-256-GCM (nonce || ciphertext) of a JSON object holding the secret settings
    -- (warehouse URL, webhook URL, headers, signing secret), under BACKFLOW_SECRET_KEY.
    sealed_secrets bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE backflow.models (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name <> ''),
    connection_id bigint NOT NULL REFERENCES backflow.connections (id) ON DELETE RESTRICT,
    sql           text,
    table_name    text,
    columns       jsonb NOT NULL DEFAULT '[]',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((sql IS NULL) <> (table_name IS NULL))
);
CREATE INDEX models_connection_id ON backflow.models (connection_id);

CREATE TABLE backflow.syncs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE CHECK (name <> ''),
    model_id       bigint NOT NULL REFERENCES backflow.models (id) ON DELETE RESTRICT,
    destination_id bigint NOT NULL REFERENCES backflow.connections (id) ON DELETE RESTRICT,
    behavior       text NOT NULL CHECK (behavior IN ('update_or_create', 'append', 'mirror')),
    primary_key    text NOT NULL,
    -- NULL: every model column under its own name. Else [{"from"|"constant", "to"}].
    mappings       jsonb,
    schedule_every text,
    schedule_cron  text,
    batch_size     integer NOT NULL DEFAULT 100 CHECK (batch_size BETWEEN 1 AND 10000),
    paused         boolean NOT NULL DEFAULT false,
    -- Why the runner paused the sync (a 410 from the destination); cleared on unpause.
    paused_reason  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (schedule_every IS NULL OR schedule_cron IS NULL)
);
CREATE INDEX syncs_model_id ON backflow.syncs (model_id);
CREATE INDEX syncs_destination_id ON backflow.syncs (destination_id);

CREATE TABLE backflow.sync_runs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sync_id         bigint NOT NULL REFERENCES backflow.syncs (id) ON DELETE CASCADE,
    status          text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'canceled')),
    trigger         text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'full')),
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    extracted       bigint NOT NULL DEFAULT 0,
    invalid         bigint NOT NULL DEFAULT 0,
    new             bigint NOT NULL DEFAULT 0,
    changed         bigint NOT NULL DEFAULT 0,
    deleted         bigint NOT NULL DEFAULT 0,
    delivered       bigint NOT NULL DEFAULT 0,
    rejected        bigint NOT NULL DEFAULT 0,
    failed          bigint NOT NULL DEFAULT 0,
    invalid_samples jsonb NOT NULL DEFAULT '[]',
    error           text
);
CREATE INDEX sync_runs_sync_id ON backflow.sync_runs (sync_id, id DESC);

-- What was successfully delivered, per sync: the key (as text) and a 128-bit hash of the
-- mapped record. Change detection compares against this, never against what was merely read.
-- No foreign key on sync_id: its per-row check costs about three quarters of a ledger write, and
-- the ledger is written a million rows at a time. The trigger below does the cascade instead.
CREATE TABLE backflow.sync_ledger (
    sync_id bigint NOT NULL,
    key     text COLLATE "C" NOT NULL,
    hash    bytea NOT NULL,
    PRIMARY KEY (sync_id, key)
);

CREATE FUNCTION backflow.delete_sync_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM backflow.sync_ledger WHERE sync_id = OLD.id;
    RETURN OLD;
END $$;
CREATE TRIGGER syncs_delete_ledger AFTER DELETE ON backflow.syncs
    FOR EACH ROW EXECUTE FUNCTION backflow.delete_sync_ledger();

-- Records a destination refused (4xx other than 408/410/429), isolated by bisection.
-- They are retried on the next run; a later success removes them.
CREATE TABLE backflow.rejected_records (
    sync_id     bigint NOT NULL REFERENCES backflow.syncs (id) ON DELETE CASCADE,
    key         text COLLATE "C" NOT NULL,
    run_id      bigint REFERENCES backflow.sync_runs (id) ON DELETE SET NULL,
    status      integer NOT NULL,
    body        text NOT NULL,
    rejected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sync_id, key)
);
