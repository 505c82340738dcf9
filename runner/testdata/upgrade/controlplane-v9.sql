-- A control plane written by Backflow at schema version 9 (commit 2cbda05, before migrations 010
-- to 019: intents stored uncompressed, no cursors, runs without read modes, paces, parents or
-- answers): its provider created the connections, model and syncs of upgrade_test.go (as for
-- controlplane-v16.sql, without cursors), its runner ran them, then pg_dump --inserts dumped it.
-- Secrets are sealed with the key upgradeKey of upgrade_test.go. What is in it: see
-- TestUpgradeFromVersion9.
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: backflow; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA backflow;


--
-- Name: river_job_state; Type: TYPE; Schema: backflow; Owner: -
--

CREATE TYPE backflow.river_job_state AS ENUM (
    'available',
    'cancelled',
    'completed',
    'discarded',
    'pending',
    'retryable',
    'running',
    'scheduled'
);


--
-- Name: delete_sync_ledger(); Type: FUNCTION; Schema: backflow; Owner: -
--

CREATE FUNCTION backflow.delete_sync_ledger() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM backflow.sync_ledger WHERE sync_id = OLD.id;
    DELETE FROM backflow.sync_ledger_pages WHERE sync_id = OLD.id;
    DELETE FROM backflow.sync_intents WHERE sync_id = OLD.id;
    RETURN OLD;
END $$;


--
-- Name: river_job_state_in_bitmask(bit, backflow.river_job_state); Type: FUNCTION; Schema: backflow; Owner: -
--

CREATE FUNCTION backflow.river_job_state_in_bitmask(bitmask bit, state backflow.river_job_state) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE state
        WHEN 'available' THEN get_bit(bitmask, 7)
        WHEN 'cancelled' THEN get_bit(bitmask, 6)
        WHEN 'completed' THEN get_bit(bitmask, 5)
        WHEN 'discarded' THEN get_bit(bitmask, 4)
        WHEN 'pending'   THEN get_bit(bitmask, 3)
        WHEN 'retryable' THEN get_bit(bitmask, 2)
        WHEN 'running'   THEN get_bit(bitmask, 1)
        WHEN 'scheduled' THEN get_bit(bitmask, 0)
        ELSE 0
    END = 1;
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: connections; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.connections (
    id bigint NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    config jsonb DEFAULT '{}'::jsonb NOT NULL,
    sealed_secrets bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT connections_kind_check CHECK ((kind = ANY (ARRAY['postgres'::text, 'mysql'::text, 'duckdb'::text, 'webhook'::text]))),
    CONSTRAINT connections_name_check CHECK ((name <> ''::text))
);


--
-- Name: connections_id_seq; Type: SEQUENCE; Schema: backflow; Owner: -
--

ALTER TABLE backflow.connections ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME backflow.connections_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: models; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.models (
    id bigint NOT NULL,
    name text NOT NULL,
    connection_id bigint NOT NULL,
    sql text,
    table_name text,
    columns jsonb DEFAULT '[]'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT models_check CHECK (((sql IS NULL) <> (table_name IS NULL))),
    CONSTRAINT models_name_check CHECK ((name <> ''::text))
);


--
-- Name: models_id_seq; Type: SEQUENCE; Schema: backflow; Owner: -
--

ALTER TABLE backflow.models ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME backflow.models_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: notification_events; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.notification_events (
    id bigint NOT NULL,
    notification_id bigint NOT NULL,
    event_id text NOT NULL,
    event text NOT NULL,
    sync_id bigint,
    run_id bigint,
    payload jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_status integer,
    last_error text,
    sent_at timestamp with time zone,
    given_up_at timestamp with time zone
);


--
-- Name: notification_events_id_seq; Type: SEQUENCE; Schema: backflow; Owner: -
--

ALTER TABLE backflow.notification_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME backflow.notification_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: notifications; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.notifications (
    id bigint NOT NULL,
    name text NOT NULL,
    destination_id bigint NOT NULL,
    events text[] NOT NULL,
    sync_ids bigint[] DEFAULT '{}'::bigint[] NOT NULL,
    send text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT notifications_events_check CHECK ((cardinality(events) > 0)),
    CONSTRAINT notifications_name_check CHECK ((name <> ''::text)),
    CONSTRAINT notifications_send_check CHECK ((send = ANY (ARRAY['on_change'::text, 'every_time'::text])))
);


--
-- Name: notifications_id_seq; Type: SEQUENCE; Schema: backflow; Owner: -
--

ALTER TABLE backflow.notifications ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME backflow.notifications_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: rejected_records; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.rejected_records (
    sync_id bigint NOT NULL,
    key text NOT NULL COLLATE pg_catalog."C",
    run_id bigint,
    status integer NOT NULL,
    body text NOT NULL,
    rejected_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: river_job; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.river_job (
    id bigint NOT NULL,
    state backflow.river_job_state DEFAULT 'available'::backflow.river_job_state NOT NULL,
    attempt smallint DEFAULT 0 NOT NULL,
    max_attempts smallint DEFAULT 25 NOT NULL,
    attempted_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    finalized_at timestamp with time zone,
    scheduled_at timestamp with time zone DEFAULT now() NOT NULL,
    priority smallint DEFAULT 1 NOT NULL,
    args jsonb NOT NULL,
    attempted_by text[],
    errors jsonb[],
    kind text NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    queue text DEFAULT 'default'::text NOT NULL,
    tags character varying(255)[] DEFAULT '{}'::character varying[] NOT NULL,
    unique_key bytea,
    unique_states bit(8),
    CONSTRAINT finalized_or_finalized_at_null CHECK ((((finalized_at IS NULL) AND (state <> ALL (ARRAY['cancelled'::backflow.river_job_state, 'completed'::backflow.river_job_state, 'discarded'::backflow.river_job_state]))) OR ((finalized_at IS NOT NULL) AND (state = ANY (ARRAY['cancelled'::backflow.river_job_state, 'completed'::backflow.river_job_state, 'discarded'::backflow.river_job_state]))))),
    CONSTRAINT kind_length CHECK (((char_length(kind) > 0) AND (char_length(kind) < 128))),
    CONSTRAINT max_attempts_is_positive CHECK ((max_attempts > 0)),
    CONSTRAINT priority_in_range CHECK (((priority >= 1) AND (priority <= 4))),
    CONSTRAINT queue_length CHECK (((char_length(queue) > 0) AND (char_length(queue) < 128)))
);


--
-- Name: river_job_id_seq; Type: SEQUENCE; Schema: backflow; Owner: -
--

CREATE SEQUENCE backflow.river_job_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: river_job_id_seq; Type: SEQUENCE OWNED BY; Schema: backflow; Owner: -
--

ALTER SEQUENCE backflow.river_job_id_seq OWNED BY backflow.river_job.id;


--
-- Name: river_leader; Type: TABLE; Schema: backflow; Owner: -
--

CREATE UNLOGGED TABLE backflow.river_leader (
    elected_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    leader_id text NOT NULL,
    name text DEFAULT 'default'::text NOT NULL,
    CONSTRAINT leader_id_length CHECK (((char_length(leader_id) > 0) AND (char_length(leader_id) < 128))),
    CONSTRAINT name_length CHECK ((name = 'default'::text))
);


--
-- Name: river_migration; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.river_migration (
    line text NOT NULL,
    version bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT line_length CHECK (((char_length(line) > 0) AND (char_length(line) < 128))),
    CONSTRAINT version_gte_1 CHECK ((version >= 1))
);


--
-- Name: river_notification; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.river_notification (
    id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    payload text NOT NULL,
    topic text NOT NULL,
    CONSTRAINT topic_length CHECK (((length(topic) > 0) AND (length(topic) < 128)))
);


--
-- Name: river_notification_id_seq; Type: SEQUENCE; Schema: backflow; Owner: -
--

CREATE SEQUENCE backflow.river_notification_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: river_notification_id_seq; Type: SEQUENCE OWNED BY; Schema: backflow; Owner: -
--

ALTER SEQUENCE backflow.river_notification_id_seq OWNED BY backflow.river_notification.id;


--
-- Name: river_queue; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.river_queue (
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    paused_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: schema_migrations; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: sync_deliveries; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.sync_deliveries (
    id bigint NOT NULL,
    sync_id bigint NOT NULL,
    run_id bigint NOT NULL,
    webhook_id text NOT NULL,
    operation text NOT NULL,
    records integer NOT NULL,
    first_key text NOT NULL COLLATE pg_catalog."C",
    last_key text NOT NULL COLLATE pg_catalog."C",
    sent_at timestamp with time zone NOT NULL,
    attempts integer NOT NULL,
    status integer NOT NULL,
    latency_us bigint NOT NULL,
    body text,
    error text,
    keys bytea NOT NULL
);
ALTER TABLE ONLY backflow.sync_deliveries ALTER COLUMN keys SET COMPRESSION lz4;


--
-- Name: sync_deliveries_id_seq; Type: SEQUENCE; Schema: backflow; Owner: -
--

ALTER TABLE backflow.sync_deliveries ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME backflow.sync_deliveries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: sync_fences; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.sync_fences (
    sync_id bigint NOT NULL,
    token bigint NOT NULL
);


--
-- Name: sync_intents; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.sync_intents (
    sync_id bigint NOT NULL,
    run_id bigint NOT NULL,
    batch integer NOT NULL,
    keys bytea NOT NULL
);
ALTER TABLE ONLY backflow.sync_intents ALTER COLUMN keys SET STORAGE EXTERNAL;


--
-- Name: sync_ledger; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.sync_ledger (
    sync_id bigint NOT NULL,
    key text NOT NULL COLLATE pg_catalog."C",
    hash bytea
);


--
-- Name: sync_ledger_pages; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.sync_ledger_pages (
    sync_id bigint NOT NULL,
    first_key text NOT NULL COLLATE pg_catalog."C",
    last_key text NOT NULL COLLATE pg_catalog."C",
    entries bytea NOT NULL
);
ALTER TABLE ONLY backflow.sync_ledger_pages ALTER COLUMN entries SET STORAGE EXTERNAL;


--
-- Name: sync_runs; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.sync_runs (
    id bigint NOT NULL,
    sync_id bigint NOT NULL,
    status text NOT NULL,
    trigger text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    extracted bigint DEFAULT 0 NOT NULL,
    invalid bigint DEFAULT 0 NOT NULL,
    new bigint DEFAULT 0 NOT NULL,
    changed bigint DEFAULT 0 NOT NULL,
    deleted bigint DEFAULT 0 NOT NULL,
    delivered bigint DEFAULT 0 NOT NULL,
    rejected bigint DEFAULT 0 NOT NULL,
    failed bigint DEFAULT 0 NOT NULL,
    invalid_samples jsonb DEFAULT '[]'::jsonb NOT NULL,
    error text,
    notified_at timestamp with time zone,
    scheduled_for timestamp with time zone,
    CONSTRAINT sync_runs_status_check CHECK ((status = ANY (ARRAY['running'::text, 'succeeded'::text, 'failed'::text, 'canceled'::text, 'blocked'::text]))),
    CONSTRAINT sync_runs_trigger_check CHECK ((trigger = ANY (ARRAY['schedule'::text, 'manual'::text, 'full'::text, 'mark'::text])))
);


--
-- Name: sync_runs_id_seq; Type: SEQUENCE; Schema: backflow; Owner: -
--

ALTER TABLE backflow.sync_runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME backflow.sync_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: syncs; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.syncs (
    id bigint NOT NULL,
    name text NOT NULL,
    model_id bigint NOT NULL,
    destination_id bigint NOT NULL,
    behavior text NOT NULL,
    primary_key text NOT NULL,
    mappings jsonb,
    schedule_every text,
    schedule_cron text,
    batch_size integer DEFAULT 100 NOT NULL,
    paused boolean DEFAULT false NOT NULL,
    paused_reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    guard jsonb,
    initial text DEFAULT 'send_all'::text NOT NULL,
    CONSTRAINT syncs_batch_size_check CHECK (((batch_size >= 1) AND (batch_size <= 10000))),
    CONSTRAINT syncs_behavior_check CHECK ((behavior = ANY (ARRAY['update_or_create'::text, 'append'::text, 'mirror'::text]))),
    CONSTRAINT syncs_check CHECK (((schedule_every IS NULL) OR (schedule_cron IS NULL))),
    CONSTRAINT syncs_initial_check CHECK ((initial = ANY (ARRAY['send_all'::text, 'skip_existing'::text]))),
    CONSTRAINT syncs_name_check CHECK ((name <> ''::text))
);


--
-- Name: syncs_id_seq; Type: SEQUENCE; Schema: backflow; Owner: -
--

ALTER TABLE backflow.syncs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME backflow.syncs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: river_job id; Type: DEFAULT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.river_job ALTER COLUMN id SET DEFAULT nextval('backflow.river_job_id_seq'::regclass);


--
-- Name: river_notification id; Type: DEFAULT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.river_notification ALTER COLUMN id SET DEFAULT nextval('backflow.river_notification_id_seq'::regclass);


--
-- Data for Name: connections; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (1, 'warehouse', 'postgres', '{}', '\x246f1e8ff58c591508d5b1e16971593fea53279184a617a20ef7765b760f5fe3530bede86075022774d3badea11addf41d14e0ea79e99e32ad98b68d3f374dab5ba30222844de0395ed25e6c6886668372687f4dcc2c9931e4fdad5af3a8553d02', '2026-12-05 00:31:21.688373+00', '2026-12-05 00:31:21.688373+00');
INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (2, 'hook', 'webhook', '{"method": "POST", "test_on_save": true}', '\xad7b3e88984040134d7964c350c8e6ed0d7d285d58503f0769801f8c133297c2815eebfee392232759aaff931182df01c389504cf24bdc4f81aa86bfa1051d67a2', '2026-12-05 00:31:21.693235+00', '2026-12-05 00:31:21.693235+00');


--
-- Data for Name: models; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.models OVERRIDING SYSTEM VALUE VALUES (1, 'users', 1, NULL, 'public.users', '[{"name": "id", "type": "int4"}, {"name": "email", "type": "text"}, {"name": "name", "type": "text"}, {"name": "score", "type": "numeric"}, {"name": "updated_at", "type": "timestamptz"}, {"name": "tags", "type": "jsonb"}, {"name": "seen", "type": "timestamp"}]', '2026-12-05 00:31:21.718987+00', '2026-12-05 00:31:21.718987+00');


--
-- Data for Name: notification_events; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: notifications; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: rejected_records; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.rejected_records VALUES (2, '6', 4, 422, '{"error":"rejected"}', '2026-12-05 00:31:22.142509+00');
INSERT INTO backflow.rejected_records VALUES (5, '6', 5, 422, '{"error":"rejected"}', '2026-12-05 00:31:22.222808+00');
INSERT INTO backflow.rejected_records VALUES (4, '6', 6, 422, '{"error":"rejected"}', '2026-12-05 00:31:22.552747+00');
INSERT INTO backflow.rejected_records VALUES (3, 'rej6@example.com', 7, 422, '{"error":"rejected"}', '2026-12-05 00:31:22.614037+00');
INSERT INTO backflow.rejected_records VALUES (1, 'rej6@example.com', 8, 422, '{"error":"rejected"}', '2026-12-05 00:31:22.700605+00');


--
-- Data for Name: river_job; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_leader; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_migration; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.river_migration VALUES ('main', 1, '2026-12-05 00:31:21.457971+00');
INSERT INTO backflow.river_migration VALUES ('main', 2, '2026-12-05 00:31:21.464451+00');
INSERT INTO backflow.river_migration VALUES ('main', 3, '2026-12-05 00:31:21.484984+00');
INSERT INTO backflow.river_migration VALUES ('main', 4, '2026-12-05 00:31:21.48615+00');
INSERT INTO backflow.river_migration VALUES ('main', 5, '2026-12-05 00:31:21.492553+00');
INSERT INTO backflow.river_migration VALUES ('main', 6, '2026-12-05 00:31:21.516114+00');
INSERT INTO backflow.river_migration VALUES ('main', 7, '2026-12-05 00:31:21.519307+00');
INSERT INTO backflow.river_migration VALUES ('main', 8, '2026-12-05 00:31:21.530192+00');


--
-- Data for Name: river_notification; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_queue; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.schema_migrations VALUES (1, 'initial', '2026-12-05 00:31:21.357788+00');
INSERT INTO backflow.schema_migrations VALUES (2, 'ledger_pages', '2026-12-05 00:31:21.407014+00');
INSERT INTO backflow.schema_migrations VALUES (3, 'fences_and_intents', '2026-12-05 00:31:21.41186+00');
INSERT INTO backflow.schema_migrations VALUES (4, 'warehouse_kinds', '2026-12-05 00:31:21.418047+00');
INSERT INTO backflow.schema_migrations VALUES (5, 'delivery_log', '2026-12-05 00:31:21.418988+00');
INSERT INTO backflow.schema_migrations VALUES (6, 'sync_guards', '2026-12-05 00:31:21.428492+00');
INSERT INTO backflow.schema_migrations VALUES (7, 'notifications', '2026-12-05 00:31:21.429256+00');
INSERT INTO backflow.schema_migrations VALUES (8, 'backfill_policy', '2026-12-05 00:31:21.444766+00');
INSERT INTO backflow.schema_migrations VALUES (9, 'run_schedule_slot', '2026-12-05 00:31:21.445909+00');


--
-- Data for Name: sync_deliveries; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (1, 4, 1, 'msg_9428383ea041f5b1d6e7ec57', 'changed', 3, '1', '11', '2026-12-05 00:31:21.890797+00', 1, 200, 1274, NULL, NULL, '\x0131023130023131');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (2, 4, 1, 'msg_9e5f47b48dda1559519b4f45', 'changed', 3, '7', '9', '2026-12-05 00:31:21.890635+00', 1, 200, 1602, NULL, NULL, '\x013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (3, 4, 1, 'msg_d49297c8a924b7ead85aeac9', 'changed', 3, '12', '3', '2026-12-05 00:31:21.890885+00', 1, 200, 2272, NULL, NULL, '\x02313201320133');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (4, 4, 1, 'msg_9dc9a0518ef8cd2ea38cc68a', 'changed', 3, '4', '6', '2026-12-05 00:31:21.890945+00', 1, 422, 2449, '{"error":"rejected"}', NULL, '\x013401350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (5, 4, 1, 'msg_7bfa5fb54f115d3281c894e5', 'changed', 1, '4', '4', '2026-12-05 00:31:21.893547+00', 1, 200, 634, NULL, NULL, '\x0134');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (6, 4, 1, 'msg_eb89e61e4738832fcc5af809', 'changed', 2, '5', '6', '2026-12-05 00:31:21.894223+00', 1, 422, 519, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (7, 4, 1, 'msg_48471b8972b4302cb123b413', 'changed', 1, '5', '5', '2026-12-05 00:31:21.89478+00', 1, 200, 726, NULL, NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (8, 4, 1, 'msg_a4555bb0199814ef2216e350', 'changed', 1, '6', '6', '2026-12-05 00:31:21.895547+00', 1, 422, 466, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (9, 3, 2, 'msg_6276db0fa293b6a8fe56edcc', 'changed', 3, 'u3@example.com', 'u5@example.com', '2026-12-05 00:31:21.964051+00', 1, 200, 1336, NULL, NULL, '\x0e7533406578616d706c652e636f6d0e7534406578616d706c652e636f6d0e7535406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (10, 3, 2, 'msg_c27926ff0b1d7ee803fdb763', 'changed', 3, 'u7@example.com', 'u9@example.com', '2026-12-05 00:31:21.963894+00', 1, 200, 3212, NULL, NULL, '\x0e7537406578616d706c652e636f6d0e7538406578616d706c652e636f6d0e7539406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (11, 3, 2, 'msg_4766977be4e2afff7ec68f87', 'changed', 3, 'u12@example.com', 'u2@example.com', '2026-12-05 00:31:21.964433+00', 1, 200, 2664, NULL, NULL, '\x0f753132406578616d706c652e636f6d0e7531406578616d706c652e636f6d0e7532406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (12, 3, 2, 'msg_c808265453561f46523299b3', 'changed', 3, 'rej6@example.com', 'u11@example.com', '2026-12-05 00:31:21.964287+00', 1, 422, 2083, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d0f753130406578616d706c652e636f6d0f753131406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (13, 3, 2, 'msg_879818a76786994dd10bf64e', 'changed', 1, 'rej6@example.com', 'rej6@example.com', '2026-12-05 00:31:21.966423+00', 1, 422, 1023, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (14, 3, 2, 'msg_7d64d6281a527cafe4b7d7e9', 'changed', 2, 'u10@example.com', 'u11@example.com', '2026-12-05 00:31:21.967483+00', 1, 200, 594, NULL, NULL, '\x0f753130406578616d706c652e636f6d0f753131406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (15, 1, 3, 'msg_0066e18d8888836d7525679c', 'changed', 3, 'u7@example.com', 'u9@example.com', '2026-12-05 00:31:22.044186+00', 1, 200, 2495, NULL, NULL, '\x0e7537406578616d706c652e636f6d0e7538406578616d706c652e636f6d0e7539406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (16, 1, 3, 'msg_9926ae3046132d43b68818b2', 'changed', 3, 'u12@example.com', 'u2@example.com', '2026-12-05 00:31:22.044377+00', 1, 200, 2574, NULL, NULL, '\x0f753132406578616d706c652e636f6d0e7531406578616d706c652e636f6d0e7532406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (17, 1, 3, 'msg_bd7bf0c2f9fe9c5bdb65b14c', 'changed', 3, 'u3@example.com', 'u5@example.com', '2026-12-05 00:31:22.044688+00', 1, 200, 2704, NULL, NULL, '\x0e7533406578616d706c652e636f6d0e7534406578616d706c652e636f6d0e7535406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (18, 1, 3, 'msg_dcd55ac0f9bda4c68179d516', 'changed', 3, 'rej6@example.com', 'u11@example.com', '2026-12-05 00:31:22.044457+00', 1, 422, 2667, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d0f753130406578616d706c652e636f6d0f753131406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (19, 1, 3, 'msg_98f449a7ebcf744cd1ea3b57', 'changed', 1, 'rej6@example.com', 'rej6@example.com', '2026-12-05 00:31:22.047468+00', 1, 422, 4816, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (20, 1, 3, 'msg_cacab20c07109f071557d55b', 'changed', 2, 'u10@example.com', 'u11@example.com', '2026-12-05 00:31:22.052392+00', 1, 200, 3774, NULL, NULL, '\x0f753130406578616d706c652e636f6d0f753131406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (21, 2, 4, 'msg_06253dd6b03ba6300a15b8a5', 'changed', 3, '1', '11', '2026-12-05 00:31:22.127893+00', 1, 200, 4343, NULL, NULL, '\x0131023130023131');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (22, 2, 4, 'msg_438322e5a733437d20aa5ed9', 'changed', 3, '12', '3', '2026-12-05 00:31:22.12892+00', 1, 200, 7423, NULL, NULL, '\x02313201320133');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (23, 2, 4, 'msg_1e0cc81b88039f8312699666', 'changed', 3, '7', '9', '2026-12-05 00:31:22.128823+00', 1, 200, 8421, NULL, NULL, '\x013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (24, 2, 4, 'msg_9b9d491cc3341440fe4dabbe', 'changed', 3, '4', '6', '2026-12-05 00:31:22.12898+00', 1, 422, 8073, '{"error":"rejected"}', NULL, '\x013401350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (25, 2, 4, 'msg_607f7530e7f1923d5d87e44e', 'changed', 1, '4', '4', '2026-12-05 00:31:22.13711+00', 1, 200, 856, NULL, NULL, '\x0134');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (26, 2, 4, 'msg_24f5193182cc1b7c2cc10996', 'changed', 2, '5', '6', '2026-12-05 00:31:22.138082+00', 1, 422, 2044, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (27, 2, 4, 'msg_6dca5494bc7709740af8f1cd', 'changed', 1, '5', '5', '2026-12-05 00:31:22.140253+00', 1, 200, 657, NULL, NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (28, 2, 4, 'msg_2db85ed4f7b74d136fa0460c', 'changed', 1, '6', '6', '2026-12-05 00:31:22.141015+00', 1, 422, 1240, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (29, 5, 5, 'msg_637494a6348a4629882f1bd1', 'changed', 3, '7', '9', '2026-12-05 00:31:22.217217+00', 1, 200, 1753, NULL, NULL, '\x013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (30, 5, 5, 'msg_76f4340f30c0d0218155c341', 'changed', 3, '12', '3', '2026-12-05 00:31:22.217397+00', 1, 200, 2597, NULL, NULL, '\x02313201320133');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (31, 5, 5, 'msg_267985572e3b33d2751d86a3', 'changed', 3, '1', '11', '2026-12-05 00:31:22.217476+00', 1, 200, 2996, NULL, NULL, '\x0131023130023131');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (32, 5, 5, 'msg_c3aac9fc06cbaf045e0228da', 'changed', 3, '4', '6', '2026-12-05 00:31:22.217495+00', 1, 422, 2778, '{"error":"rejected"}', NULL, '\x013401350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (33, 5, 5, 'msg_9f967c7e40d450b446daeab0', 'changed', 1, '4', '4', '2026-12-05 00:31:22.220314+00', 1, 200, 729, NULL, NULL, '\x0134');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (34, 5, 5, 'msg_c826cba6904d6845db2947c4', 'changed', 2, '5', '6', '2026-12-05 00:31:22.221082+00', 1, 422, 492, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (35, 5, 5, 'msg_a5cb30d70ebf55b98ab75bb2', 'changed', 1, '5', '5', '2026-12-05 00:31:22.221639+00', 1, 200, 455, NULL, NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (36, 5, 5, 'msg_3d1b4109dc73dd8a4478f018', 'changed', 1, '6', '6', '2026-12-05 00:31:22.222156+00', 1, 422, 521, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (37, 4, 6, 'msg_47f12fdac9c4e5644d248fef', 'deleted', 1, '2', '2', '2026-12-05 00:31:22.546205+00', 1, 200, 4346, NULL, NULL, '\x0132');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (38, 4, 6, 'msg_11b409ec0c90e1b8ba6c04ab', 'changed', 3, '1', '6', '2026-12-05 00:31:22.545923+00', 1, 422, 1237, '{"error":"rejected"}', NULL, '\x01310231330136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (39, 4, 6, 'msg_52a8b78422782914e5eb32b7', 'changed', 1, '1', '1', '2026-12-05 00:31:22.54723+00', 1, 200, 3441, NULL, NULL, '\x0131');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (40, 4, 6, 'msg_b7504c49e86f9a997e33119d', 'changed', 2, '13', '6', '2026-12-05 00:31:22.550792+00', 1, 422, 500, '{"error":"rejected"}', NULL, '\x0231330136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (41, 4, 6, 'msg_411cdbf148be8d6c219c4b05', 'changed', 1, '13', '13', '2026-12-05 00:31:22.551358+00', 1, 200, 698, NULL, NULL, '\x023133');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (42, 4, 6, 'msg_198387690b186fc253e76be2', 'changed', 1, '6', '6', '2026-12-05 00:31:22.552099+00', 1, 422, 485, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (43, 3, 7, 'msg_68fcd63109b320acb35a530a', 'changed', 3, 'rej6@example.com', 'u1@example.com', '2026-12-05 00:31:22.61017+00', 1, 422, 2278, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d0f753133406578616d706c652e636f6d0e7531406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (44, 3, 7, 'msg_1df2f1baeaba875701a88537', 'changed', 1, 'rej6@example.com', 'rej6@example.com', '2026-12-05 00:31:22.612524+00', 1, 422, 728, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (45, 3, 7, 'msg_b55095079dd7124ba9a9b16d', 'changed', 2, 'u13@example.com', 'u1@example.com', '2026-12-05 00:31:22.613279+00', 1, 200, 647, NULL, NULL, '\x0f753133406578616d706c652e636f6d0e7531406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (46, 1, 8, 'msg_897cded49c7a908d3a3099e1', 'changed', 2, 'rej6@example.com', 'u13@example.com', '2026-12-05 00:31:22.694689+00', 1, 422, 1535, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d0f753133406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (47, 1, 8, 'msg_a29b78500080f2f0514d2b46', 'changed', 1, 'rej6@example.com', 'rej6@example.com', '2026-12-05 00:31:22.696407+00', 1, 422, 787, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (48, 1, 8, 'msg_c60022db7b175b9a7eaab0d7', 'changed', 1, 'u13@example.com', 'u13@example.com', '2026-12-05 00:31:22.697241+00', 1, 200, 3068, NULL, NULL, '\x0f753133406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (49, 5, 10, 'msg_3c24386d6349b23c69246678', 'changed', 3, '1', '6', '2026-12-05 00:31:26.777841+00', 1, 401, 1107, '{"error":"rejected"}', NULL, '\x01310231330136');


--
-- Data for Name: sync_fences; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_fences VALUES (4, 2);
INSERT INTO backflow.sync_fences VALUES (3, 2);
INSERT INTO backflow.sync_fences VALUES (1, 2);
INSERT INTO backflow.sync_fences VALUES (2, 2);
INSERT INTO backflow.sync_fences VALUES (5, 2);


--
-- Data for Name: sync_intents; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_intents VALUES (2, 9, 0, '\x01310231330136');
INSERT INTO backflow.sync_intents VALUES (2, 9, 1, '\x0132');
INSERT INTO backflow.sync_intents VALUES (5, 10, 0, '\x01310231330136');


--
-- Data for Name: sync_ledger; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_ledger VALUES (4, '13', '\xc6b7d37ffbc5e2bee93758ea87371564');
INSERT INTO backflow.sync_ledger VALUES (4, '1', '\x3f03fd745a0e559f9ed6931139f818eb');
INSERT INTO backflow.sync_ledger VALUES (4, '2', NULL);
INSERT INTO backflow.sync_ledger VALUES (3, 'u13@example.com', '\xc6b7d37ffbc5e2bee93758ea87371564');
INSERT INTO backflow.sync_ledger VALUES (3, 'u1@example.com', '\x3f03fd745a0e559f9ed6931139f818eb');
INSERT INTO backflow.sync_ledger VALUES (1, 'u13@example.com', '\xc6b7d37ffbc5e2bee93758ea87371564');


--
-- Data for Name: sync_ledger_pages; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_ledger_pages VALUES (4, '1', '11', '\x01311fd80c6388408e3e0666645233211610023130e71ae1ca68d323b5594b3537c35783d70231310c8d37753cd93fc6815768ec6b49b546');
INSERT INTO backflow.sync_ledger_pages VALUES (4, '7', '9', '\x01377b6e6310c458afd0da4b89393e6e51a80138a1e5752c4600587dcb4401f0a60a39ff01396063fc9bbc6512608db835e347ba10b9');
INSERT INTO backflow.sync_ledger_pages VALUES (4, '12', '3', '\x02313251139aec5667b1bbdc63aa3cd17eb7f401328373f08c95cb3e98b8628ea32df3d01b0133ecaf7efeb272b9da8e3d8a5a29f7b2e8');
INSERT INTO backflow.sync_ledger_pages VALUES (4, '4', '5', '\x0134e5f4d2cd559828fc963301efa712336d013543d1d51f26e3015dbf15738456b66e11');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u3@example.com', 'u5@example.com', '\x0e7533406578616d706c652e636f6decaf7efeb272b9da8e3d8a5a29f7b2e80e7534406578616d706c652e636f6de5f4d2cd559828fc963301efa712336d0e7535406578616d706c652e636f6d43d1d51f26e3015dbf15738456b66e11');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u7@example.com', 'u9@example.com', '\x0e7537406578616d706c652e636f6d7b6e6310c458afd0da4b89393e6e51a80e7538406578616d706c652e636f6da1e5752c4600587dcb4401f0a60a39ff0e7539406578616d706c652e636f6d6063fc9bbc6512608db835e347ba10b9');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u12@example.com', 'u2@example.com', '\x0f753132406578616d706c652e636f6d51139aec5667b1bbdc63aa3cd17eb7f40e7531406578616d706c652e636f6d1fd80c6388408e3e06666452332116100e7532406578616d706c652e636f6d8373f08c95cb3e98b8628ea32df3d01b');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u10@example.com', 'u11@example.com', '\x0f753130406578616d706c652e636f6de71ae1ca68d323b5594b3537c35783d70f753131406578616d706c652e636f6d0c8d37753cd93fc6815768ec6b49b546');
INSERT INTO backflow.sync_ledger_pages VALUES (1, 'u7@example.com', 'u9@example.com', '\x0e7537406578616d706c652e636f6d7b6e6310c458afd0da4b89393e6e51a80e7538406578616d706c652e636f6da1e5752c4600587dcb4401f0a60a39ff0e7539406578616d706c652e636f6d6063fc9bbc6512608db835e347ba10b9');
INSERT INTO backflow.sync_ledger_pages VALUES (1, 'u12@example.com', 'u2@example.com', '\x0f753132406578616d706c652e636f6d51139aec5667b1bbdc63aa3cd17eb7f40e7531406578616d706c652e636f6d1fd80c6388408e3e06666452332116100e7532406578616d706c652e636f6d8373f08c95cb3e98b8628ea32df3d01b');
INSERT INTO backflow.sync_ledger_pages VALUES (1, 'u3@example.com', 'u5@example.com', '\x0e7533406578616d706c652e636f6decaf7efeb272b9da8e3d8a5a29f7b2e80e7534406578616d706c652e636f6de5f4d2cd559828fc963301efa712336d0e7535406578616d706c652e636f6d43d1d51f26e3015dbf15738456b66e11');
INSERT INTO backflow.sync_ledger_pages VALUES (1, 'u10@example.com', 'u11@example.com', '\x0f753130406578616d706c652e636f6de71ae1ca68d323b5594b3537c35783d70f753131406578616d706c652e636f6d0c8d37753cd93fc6815768ec6b49b546');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '1', '11', '\x01311fd80c6388408e3e0666645233211610023130e71ae1ca68d323b5594b3537c35783d70231310c8d37753cd93fc6815768ec6b49b546');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '12', '3', '\x02313251139aec5667b1bbdc63aa3cd17eb7f401328373f08c95cb3e98b8628ea32df3d01b0133ecaf7efeb272b9da8e3d8a5a29f7b2e8');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '7', '9', '\x01377b6e6310c458afd0da4b89393e6e51a80138a1e5752c4600587dcb4401f0a60a39ff01396063fc9bbc6512608db835e347ba10b9');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '4', '5', '\x0134e5f4d2cd559828fc963301efa712336d013543d1d51f26e3015dbf15738456b66e11');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '7', '9', '\x01377b6e6310c458afd0da4b89393e6e51a80138a1e5752c4600587dcb4401f0a60a39ff01396063fc9bbc6512608db835e347ba10b9');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '12', '3', '\x02313251139aec5667b1bbdc63aa3cd17eb7f401328373f08c95cb3e98b8628ea32df3d01b0133ecaf7efeb272b9da8e3d8a5a29f7b2e8');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '1', '11', '\x01311fd80c6388408e3e0666645233211610023130e71ae1ca68d323b5594b3537c35783d70231310c8d37753cd93fc6815768ec6b49b546');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '4', '5', '\x0134e5f4d2cd559828fc963301efa712336d013543d1d51f26e3015dbf15738456b66e11');


--
-- Data for Name: sync_runs; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (1, 4, 'succeeded', 'manual', '2026-12-05 00:31:21.876901+00', '2026-12-05 00:31:21.901646+00', 12, 0, 12, 0, 0, 11, 1, 0, '[]', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (2, 3, 'succeeded', 'manual', '2026-12-05 00:31:21.94388+00', '2026-12-05 00:31:21.97272+00', 12, 0, 12, 0, 0, 11, 1, 0, '[]', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (3, 1, 'succeeded', 'manual', '2026-12-05 00:31:22.029862+00', '2026-12-05 00:31:22.062973+00', 12, 0, 12, 0, 0, 11, 1, 0, '[]', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (4, 2, 'succeeded', 'manual', '2026-12-05 00:31:22.10455+00', '2026-12-05 00:31:22.152248+00', 12, 0, 12, 0, 0, 11, 1, 0, '[]', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (5, 5, 'succeeded', 'manual', '2026-12-05 00:31:22.20305+00', '2026-12-05 00:31:22.229557+00', 12, 0, 12, 0, 0, 11, 1, 0, '[]', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (6, 4, 'succeeded', 'manual', '2026-12-05 00:31:22.516304+00', '2026-12-05 00:31:22.557881+00', 12, 0, 2, 1, 1, 3, 1, 0, '[]', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (7, 3, 'succeeded', 'manual', '2026-12-05 00:31:22.597326+00', '2026-12-05 00:31:22.619774+00', 12, 0, 2, 1, 0, 2, 1, 0, '[]', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (8, 1, 'succeeded', 'manual', '2026-12-05 00:31:22.679012+00', '2026-12-05 00:31:22.705868+00', 12, 0, 2, 0, 0, 1, 1, 0, '[]', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (9, 2, 'running', 'manual', '2026-12-05 00:31:22.755077+00', NULL, 0, 0, 0, 0, 0, 0, 0, 0, '[]', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (10, 5, 'failed', 'manual', '2026-12-05 00:31:26.764565+00', '2026-12-05 00:31:26.780745+00', 12, 0, 2, 1, 0, 0, 0, 3, '[]', 'deliver to "hook": the webhook answered HTTP 401: the destination refused the credentials, so nothing more was sent and the records stay pending; check the connection''s headers (the token or key they carry) and the signing secret (response body: "{\"error\":\"rejected\"}")', NULL, NULL);


--
-- Data for Name: syncs; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (1, 'append', 1, 2, 'append', 'email', NULL, NULL, NULL, 3, false, NULL, '2026-12-05 00:31:21.783643+00', '2026-12-05 00:31:21.783643+00', NULL, 'send_all');
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (2, 'killed', 1, 2, 'mirror', 'id', NULL, NULL, NULL, 3, false, NULL, '2026-12-05 00:31:21.786494+00', '2026-12-05 00:31:21.786494+00', '{"max_deleted_percent": 100}', 'send_all');
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (3, 'upsert', 1, 2, 'update_or_create', 'email', NULL, NULL, NULL, 3, false, NULL, '2026-12-05 00:31:21.787668+00', '2026-12-05 00:31:21.787668+00', NULL, 'send_all');
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (4, 'mirror', 1, 2, 'mirror', 'id', NULL, NULL, NULL, 3, false, NULL, '2026-12-05 00:31:21.788828+00', '2026-12-05 00:31:21.788828+00', '{"max_deleted_percent": 100}', 'send_all');
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (5, 'failed', 1, 2, 'update_or_create', 'id', NULL, NULL, NULL, 3, false, NULL, '2026-12-05 00:31:21.808465+00', '2026-12-05 00:31:21.808465+00', NULL, 'send_all');


--
-- Name: connections_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.connections_id_seq', 2, true);


--
-- Name: models_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.models_id_seq', 1, true);


--
-- Name: notification_events_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.notification_events_id_seq', 1, false);


--
-- Name: notifications_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.notifications_id_seq', 1, false);


--
-- Name: river_job_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.river_job_id_seq', 1, false);


--
-- Name: river_notification_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.river_notification_id_seq', 1, false);


--
-- Name: sync_deliveries_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.sync_deliveries_id_seq', 49, true);


--
-- Name: sync_runs_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.sync_runs_id_seq', 10, true);


--
-- Name: syncs_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.syncs_id_seq', 5, true);


--
-- Name: connections connections_name_key; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.connections
    ADD CONSTRAINT connections_name_key UNIQUE (name);


--
-- Name: connections connections_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.connections
    ADD CONSTRAINT connections_pkey PRIMARY KEY (id);


--
-- Name: models models_name_key; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.models
    ADD CONSTRAINT models_name_key UNIQUE (name);


--
-- Name: models models_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.models
    ADD CONSTRAINT models_pkey PRIMARY KEY (id);


--
-- Name: notification_events notification_events_event_id_key; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.notification_events
    ADD CONSTRAINT notification_events_event_id_key UNIQUE (event_id);


--
-- Name: notification_events notification_events_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.notification_events
    ADD CONSTRAINT notification_events_pkey PRIMARY KEY (id);


--
-- Name: notifications notifications_name_key; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.notifications
    ADD CONSTRAINT notifications_name_key UNIQUE (name);


--
-- Name: notifications notifications_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.notifications
    ADD CONSTRAINT notifications_pkey PRIMARY KEY (id);


--
-- Name: rejected_records rejected_records_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.rejected_records
    ADD CONSTRAINT rejected_records_pkey PRIMARY KEY (sync_id, key);


--
-- Name: river_job river_job_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.river_job
    ADD CONSTRAINT river_job_pkey PRIMARY KEY (id);


--
-- Name: river_leader river_leader_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.river_leader
    ADD CONSTRAINT river_leader_pkey PRIMARY KEY (name);


--
-- Name: river_migration river_migration_pkey1; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.river_migration
    ADD CONSTRAINT river_migration_pkey1 PRIMARY KEY (line, version);


--
-- Name: river_notification river_notification_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.river_notification
    ADD CONSTRAINT river_notification_pkey PRIMARY KEY (id);


--
-- Name: river_queue river_queue_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.river_queue
    ADD CONSTRAINT river_queue_pkey PRIMARY KEY (name);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: sync_deliveries sync_deliveries_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_deliveries
    ADD CONSTRAINT sync_deliveries_pkey PRIMARY KEY (id);


--
-- Name: sync_fences sync_fences_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_fences
    ADD CONSTRAINT sync_fences_pkey PRIMARY KEY (sync_id);


--
-- Name: sync_intents sync_intents_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_intents
    ADD CONSTRAINT sync_intents_pkey PRIMARY KEY (sync_id, run_id, batch);


--
-- Name: sync_ledger_pages sync_ledger_pages_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_ledger_pages
    ADD CONSTRAINT sync_ledger_pages_pkey PRIMARY KEY (sync_id, first_key);


--
-- Name: sync_ledger sync_ledger_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_ledger
    ADD CONSTRAINT sync_ledger_pkey PRIMARY KEY (sync_id, key);


--
-- Name: sync_runs sync_runs_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_runs
    ADD CONSTRAINT sync_runs_pkey PRIMARY KEY (id);


--
-- Name: syncs syncs_name_key; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.syncs
    ADD CONSTRAINT syncs_name_key UNIQUE (name);


--
-- Name: syncs syncs_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.syncs
    ADD CONSTRAINT syncs_pkey PRIMARY KEY (id);


--
-- Name: models_connection_id; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX models_connection_id ON backflow.models USING btree (connection_id);


--
-- Name: notification_events_due; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX notification_events_due ON backflow.notification_events USING btree (next_attempt_at) WHERE ((sent_at IS NULL) AND (given_up_at IS NULL));


--
-- Name: notifications_destination_id; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX notifications_destination_id ON backflow.notifications USING btree (destination_id);


--
-- Name: river_job_args_index; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX river_job_args_index ON backflow.river_job USING gin (args);


--
-- Name: river_job_kind; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX river_job_kind ON backflow.river_job USING btree (kind);


--
-- Name: river_job_metadata_index; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX river_job_metadata_index ON backflow.river_job USING gin (metadata);


--
-- Name: river_job_prioritized_fetching_index; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX river_job_prioritized_fetching_index ON backflow.river_job USING btree (state, queue, priority, scheduled_at, id);


--
-- Name: river_job_state_and_finalized_at_index; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX river_job_state_and_finalized_at_index ON backflow.river_job USING btree (state, finalized_at) WHERE (finalized_at IS NOT NULL);


--
-- Name: river_job_unique_idx; Type: INDEX; Schema: backflow; Owner: -
--

CREATE UNIQUE INDEX river_job_unique_idx ON backflow.river_job USING btree (unique_key) WHERE ((unique_key IS NOT NULL) AND (unique_states IS NOT NULL) AND backflow.river_job_state_in_bitmask(unique_states, state));


--
-- Name: river_notification_created_at_idx; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX river_notification_created_at_idx ON backflow.river_notification USING btree (created_at);


--
-- Name: river_notification_topic_id_idx; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX river_notification_topic_id_idx ON backflow.river_notification USING btree (topic, id);


--
-- Name: sync_deliveries_key_range; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX sync_deliveries_key_range ON backflow.sync_deliveries USING btree (sync_id, first_key);


--
-- Name: sync_deliveries_run; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX sync_deliveries_run ON backflow.sync_deliveries USING btree (sync_id, run_id);


--
-- Name: sync_deliveries_sent_at; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX sync_deliveries_sent_at ON backflow.sync_deliveries USING btree (sent_at);


--
-- Name: sync_runs_sync_id; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX sync_runs_sync_id ON backflow.sync_runs USING btree (sync_id, id DESC);


--
-- Name: sync_runs_to_notify; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX sync_runs_to_notify ON backflow.sync_runs USING btree (id) WHERE (notified_at IS NULL);


--
-- Name: syncs_destination_id; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX syncs_destination_id ON backflow.syncs USING btree (destination_id);


--
-- Name: syncs_model_id; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX syncs_model_id ON backflow.syncs USING btree (model_id);


--
-- Name: syncs syncs_delete_ledger; Type: TRIGGER; Schema: backflow; Owner: -
--

CREATE TRIGGER syncs_delete_ledger AFTER DELETE ON backflow.syncs FOR EACH ROW EXECUTE FUNCTION backflow.delete_sync_ledger();


--
-- Name: models models_connection_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.models
    ADD CONSTRAINT models_connection_id_fkey FOREIGN KEY (connection_id) REFERENCES backflow.connections(id) ON DELETE RESTRICT;


--
-- Name: notification_events notification_events_notification_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.notification_events
    ADD CONSTRAINT notification_events_notification_id_fkey FOREIGN KEY (notification_id) REFERENCES backflow.notifications(id) ON DELETE CASCADE;


--
-- Name: notifications notifications_destination_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.notifications
    ADD CONSTRAINT notifications_destination_id_fkey FOREIGN KEY (destination_id) REFERENCES backflow.connections(id) ON DELETE RESTRICT;


--
-- Name: rejected_records rejected_records_run_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.rejected_records
    ADD CONSTRAINT rejected_records_run_id_fkey FOREIGN KEY (run_id) REFERENCES backflow.sync_runs(id) ON DELETE SET NULL;


--
-- Name: rejected_records rejected_records_sync_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.rejected_records
    ADD CONSTRAINT rejected_records_sync_id_fkey FOREIGN KEY (sync_id) REFERENCES backflow.syncs(id) ON DELETE CASCADE;


--
-- Name: sync_deliveries sync_deliveries_sync_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_deliveries
    ADD CONSTRAINT sync_deliveries_sync_id_fkey FOREIGN KEY (sync_id) REFERENCES backflow.syncs(id) ON DELETE CASCADE;


--
-- Name: sync_fences sync_fences_sync_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_fences
    ADD CONSTRAINT sync_fences_sync_id_fkey FOREIGN KEY (sync_id) REFERENCES backflow.syncs(id) ON DELETE CASCADE;


--
-- Name: sync_runs sync_runs_sync_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_runs
    ADD CONSTRAINT sync_runs_sync_id_fkey FOREIGN KEY (sync_id) REFERENCES backflow.syncs(id) ON DELETE CASCADE;


--
-- Name: syncs syncs_destination_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.syncs
    ADD CONSTRAINT syncs_destination_id_fkey FOREIGN KEY (destination_id) REFERENCES backflow.connections(id) ON DELETE RESTRICT;


--
-- Name: syncs syncs_model_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.syncs
    ADD CONSTRAINT syncs_model_id_fkey FOREIGN KEY (model_id) REFERENCES backflow.models(id) ON DELETE RESTRICT;


--
-- PostgreSQL database dump complete
--


