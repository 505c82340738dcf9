-- Backflow control plane, version 7: notifications (see notifications.go).
--
-- A notification sends events about runs (run.failed, run.recovered, ...) to a webhook
-- connection. The daemon turns each finished run into events once: a run is taken under a row
-- lock and marked notified in the transaction that queues its events (notification_events, an
-- outbox), which the daemon then sends, retrying, each until it is delivered or given up.
CREATE TABLE backflow.notifications (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE CHECK (name <> ''),
    destination_id bigint NOT NULL REFERENCES backflow.connections (id) ON DELETE RESTRICT,
    events         text[] NOT NULL CHECK (cardinality(events) > 0),
    -- Empty: every sync.
    sync_ids       bigint[] NOT NULL DEFAULT '{}',
    send           text NOT NULL CHECK (send IN ('on_change', 'every_time')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_destination_id ON backflow.notifications (destination_id);

CREATE TABLE backflow.notification_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id bigint NOT NULL REFERENCES backflow.notifications (id) ON DELETE CASCADE,
    event_id        text NOT NULL UNIQUE,
    event           text NOT NULL,
    sync_id         bigint,
    run_id          bigint,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    last_status     integer,
    last_error      text,
    sent_at         timestamptz,
    given_up_at     timestamptz
);
CREATE INDEX notification_events_due ON backflow.notification_events (next_attempt_at)
    WHERE sent_at IS NULL AND given_up_at IS NULL;

-- Runs whose events are queued (or that have none). Runs that ended before notifications existed
-- are done: a new notification is about what happens from now on.
ALTER TABLE backflow.sync_runs ADD COLUMN notified_at timestamptz;
UPDATE backflow.sync_runs SET notified_at = coalesce(finished_at, now()) WHERE status <> 'running';
CREATE INDEX sync_runs_to_notify ON backflow.sync_runs (id) WHERE notified_at IS NULL;
