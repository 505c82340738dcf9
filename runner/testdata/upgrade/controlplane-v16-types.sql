-- A control plane written by Backflow at schema version 16 (commit 50df0d8): its provider created
-- the models of types-postgres.sql, types-mysql.sql (MariaDB) and types.csv (DuckDB) and the syncs
-- of TestUpgradeTypesFromVersion16, its runner ran each sync twice (the second sent nothing), then
-- pg_dump --inserts dumped it. Secrets are sealed with the key upgradeKey of upgrade_test.go.
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
-- Name: connection_pacing; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.connection_pacing (
    connection_id bigint NOT NULL,
    next_slot timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    learned_rate double precision,
    learned_concurrency integer,
    learned_at timestamp with time zone
);


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
    body text DEFAULT ''::text NOT NULL,
    content_type text DEFAULT 'application/json'::text NOT NULL,
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
-- Name: sync_after; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.sync_after (
    sync_id bigint NOT NULL,
    parent_id bigint NOT NULL,
    CONSTRAINT sync_after_check CHECK ((sync_id <> parent_id))
);


--
-- Name: sync_cursors; Type: TABLE; Schema: backflow; Owner: -
--

CREATE TABLE backflow.sync_cursors (
    sync_id bigint NOT NULL,
    definition text NOT NULL,
    mark text,
    full_read_at timestamp with time zone NOT NULL,
    ledger_keys bigint NOT NULL
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
ALTER TABLE ONLY backflow.sync_intents ALTER COLUMN keys SET COMPRESSION lz4;


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
    pace_rate double precision,
    pace_concurrency integer,
    read_mode text,
    read_from text,
    parent_runs bigint[],
    job_id bigint,
    CONSTRAINT sync_runs_read_mode_check CHECK ((read_mode = ANY (ARRAY['full'::text, 'incremental'::text]))),
    CONSTRAINT sync_runs_status_check CHECK ((status = ANY (ARRAY['running'::text, 'succeeded'::text, 'failed'::text, 'canceled'::text, 'blocked'::text]))),
    CONSTRAINT sync_runs_trigger_check CHECK ((trigger = ANY (ARRAY['schedule'::text, 'manual'::text, 'full'::text, 'mark'::text, 'after'::text, 'queued'::text])))
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
    request jsonb,
    omit_nulls boolean DEFAULT false NOT NULL,
    cursor_column text,
    cursor_lookback text,
    full_read_every text,
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
-- Data for Name: connection_pacing; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: connections; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (1, 'postgres', 'postgres', '{}', '\x8adb69e568a083f788c0aa418df608f8bc92d4797e346842f9fa29b9c73790bbb621bddad3626d989ad65a46aedcf83d9e6d700dd2c8400abb5d3c96c0ecccca7d2eecc61d1eb2ddea825f288e6ccc03d9ecebb2a39c0105fbd8aadb07507013f03b', '2026-12-05 00:33:23.903744+00', '2026-12-05 00:33:23.903744+00');
INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (2, 'mysql', 'mysql', '{}', '\x49917c652f9d991fce9932b5825b877847ed79bb12039dc35d99f7ad313920e8fbaf4b40583b575254df17f56994caaef4e39c81020469c8a8debe92176103cb23964731ed72e91f600ddb', '2026-12-05 00:33:23.908836+00', '2026-12-05 00:33:23.908836+00');
INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (3, 'duckdb', 'duckdb', '{}', '\x097c70aeab65410bb7b3cad4f15f73228a8fe769a765c67128a792308992aafe7041de9f5506691841af316ce02f', '2026-12-05 00:33:23.911426+00', '2026-12-05 00:33:23.911426+00');
INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (4, 'hook', 'webhook', '{"method": "POST", "test_on_save": true}', '\x9e441ffb356ab2d5bc85373bdae208a191d16355c7528a5776168f05d92fa6b12cd8749a902f43a30e7e4e2ac0832bc7b4ab8eeedc69efb2e0eb0419b4d9265683', '2026-12-05 00:33:23.911868+00', '2026-12-05 00:33:23.911868+00');


--
-- Data for Name: models; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.models OVERRIDING SYSTEM VALUE VALUES (1, 'pg users', 1, NULL, 'public.users', '[{"name": "id", "type": "int4"}, {"name": "email", "type": "text"}, {"name": "name", "type": "text"}, {"name": "score", "type": "numeric"}, {"name": "ratio", "type": "float8"}, {"name": "r4", "type": "float4"}, {"name": "flag", "type": "bool"}, {"name": "born", "type": "date"}, {"name": "seen_at", "type": "timestamp"}, {"name": "updated_at", "type": "timestamptz"}, {"name": "tags", "type": "jsonb"}, {"name": "arr", "type": "_text"}, {"name": "blob", "type": "bytea"}, {"name": "u", "type": "uuid"}, {"name": "iv", "type": "interval"}, {"name": "t", "type": "time"}]', '2026-12-05 00:33:24.007712+00', '2026-12-05 00:33:24.007712+00');
INSERT INTO backflow.models OVERRIDING SYSTEM VALUE VALUES (2, 'my users', 2, NULL, 'users', '[{"name": "id", "type": "int"}, {"name": "email", "type": "varchar"}, {"name": "name", "type": "varchar"}, {"name": "score", "type": "decimal"}, {"name": "ratio", "type": "double"}, {"name": "r4", "type": "float"}, {"name": "flag", "type": "tinyint(1)"}, {"name": "born", "type": "date"}, {"name": "seen_at", "type": "datetime"}, {"name": "updated_at", "type": "timestamp"}, {"name": "tags", "type": "json"}, {"name": "bin", "type": "varbinary"}]', '2026-12-05 00:33:24.083716+00', '2026-12-05 00:33:24.083716+00');
INSERT INTO backflow.models OVERRIDING SYSTEM VALUE VALUES (3, 'dk users', 3, 'select * from read_csv(''/tmp/upgty/users.csv'', header=true, columns={''id'':''INTEGER'',''email'':''VARCHAR'',''name'':''VARCHAR'',''score'':''DECIMAL(10,2)'',''ratio'':''DOUBLE'',''flag'':''BOOLEAN'',''born'':''DATE'',''seen_at'':''TIMESTAMP'',''updated_at'':''TIMESTAMPTZ''})', NULL, '[{"name": "id", "type": "integer"}, {"name": "email", "type": "varchar"}, {"name": "name", "type": "varchar"}, {"name": "score", "type": "decimal(10,2)"}, {"name": "ratio", "type": "double"}, {"name": "flag", "type": "boolean"}, {"name": "born", "type": "date"}, {"name": "seen_at", "type": "timestamp"}, {"name": "updated_at", "type": "timestamptz"}]', '2026-12-05 00:33:24.583695+00', '2026-12-05 00:33:24.583695+00');


--
-- Data for Name: notification_events; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: notifications; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: rejected_records; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.rejected_records VALUES (5, '5', 7, 422, '{"error":"rejected"}', '2026-12-05 00:33:29.429008+00');
INSERT INTO backflow.rejected_records VALUES (5, '6', 7, 422, '{"error":"rejected"}', '2026-12-05 00:33:29.429008+00');
INSERT INTO backflow.rejected_records VALUES (1, '00000000-0000-0000-0000-000000000005', 8, 422, '{"error":"rejected"}', '2026-12-05 00:33:29.621278+00');
INSERT INTO backflow.rejected_records VALUES (1, '00000000-0000-0000-0000-000000000006', 8, 422, '{"error":"rejected"}', '2026-12-05 00:33:29.621278+00');
INSERT INTO backflow.rejected_records VALUES (2, '5', 9, 422, '{"error":"rejected"}', '2026-12-05 00:33:29.764677+00');
INSERT INTO backflow.rejected_records VALUES (2, '6', 9, 422, '{"error":"rejected"}', '2026-12-05 00:33:29.764677+00');
INSERT INTO backflow.rejected_records VALUES (6, '5', 10, 422, '{"error":"rejected"}', '2026-12-05 00:33:30.09906+00');
INSERT INTO backflow.rejected_records VALUES (6, '6', 10, 422, '{"error":"rejected"}', '2026-12-05 00:33:30.09906+00');
INSERT INTO backflow.rejected_records VALUES (3, 'rej5@x.com', 11, 422, '{"error":"rejected"}', '2026-12-05 00:33:30.259875+00');
INSERT INTO backflow.rejected_records VALUES (3, 'rej6@x.com', 11, 422, '{"error":"rejected"}', '2026-12-05 00:33:30.259875+00');


--
-- Data for Name: river_job; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_leader; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_migration; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.river_migration VALUES ('main', 1, '2026-12-05 00:33:23.34546+00');
INSERT INTO backflow.river_migration VALUES ('main', 2, '2026-12-05 00:33:23.364046+00');
INSERT INTO backflow.river_migration VALUES ('main', 3, '2026-12-05 00:33:23.415971+00');
INSERT INTO backflow.river_migration VALUES ('main', 4, '2026-12-05 00:33:23.418558+00');
INSERT INTO backflow.river_migration VALUES ('main', 5, '2026-12-05 00:33:23.43994+00');
INSERT INTO backflow.river_migration VALUES ('main', 6, '2026-12-05 00:33:23.500064+00');
INSERT INTO backflow.river_migration VALUES ('main', 7, '2026-12-05 00:33:23.516092+00');
INSERT INTO backflow.river_migration VALUES ('main', 8, '2026-12-05 00:33:23.604046+00');


--
-- Data for Name: river_notification; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_queue; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.schema_migrations VALUES (1, 'initial', '2026-12-05 00:33:23.052701+00');
INSERT INTO backflow.schema_migrations VALUES (2, 'ledger_pages', '2026-12-05 00:33:23.151844+00');
INSERT INTO backflow.schema_migrations VALUES (3, 'fences_and_intents', '2026-12-05 00:33:23.167944+00');
INSERT INTO backflow.schema_migrations VALUES (4, 'warehouse_kinds', '2026-12-05 00:33:23.187824+00');
INSERT INTO backflow.schema_migrations VALUES (5, 'delivery_log', '2026-12-05 00:33:23.191818+00');
INSERT INTO backflow.schema_migrations VALUES (6, 'sync_guards', '2026-12-05 00:33:23.219834+00');
INSERT INTO backflow.schema_migrations VALUES (7, 'notifications', '2026-12-05 00:33:23.223846+00');
INSERT INTO backflow.schema_migrations VALUES (8, 'backfill_policy', '2026-12-05 00:33:23.270484+00');
INSERT INTO backflow.schema_migrations VALUES (9, 'run_schedule_slot', '2026-12-05 00:33:23.275837+00');
INSERT INTO backflow.schema_migrations VALUES (10, 'intents_lz4', '2026-12-05 00:33:23.27981+00');
INSERT INTO backflow.schema_migrations VALUES (11, 'sync_requests', '2026-12-05 00:33:23.283768+00');
INSERT INTO backflow.schema_migrations VALUES (12, 'send_nulls', '2026-12-05 00:33:23.287844+00');
INSERT INTO backflow.schema_migrations VALUES (13, 'connection_pacing', '2026-12-05 00:33:23.291824+00');
INSERT INTO backflow.schema_migrations VALUES (14, 'sync_cursors', '2026-12-05 00:33:23.303821+00');
INSERT INTO backflow.schema_migrations VALUES (15, 'sequences_and_triggers', '2026-12-05 00:33:23.315816+00');
INSERT INTO backflow.schema_migrations VALUES (16, 'notification_templates', '2026-12-05 00:33:23.331856+00');


--
-- Data for Name: sync_after; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: sync_cursors; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: sync_deliveries; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (1, 5, 1, 'msg_6456e3efd242d08094af5cc8', 'changed', 7, '16', '21', '2026-12-05 00:33:24.840609+00', 1, 200, 2057, NULL, NULL, '\x0231360231370231380231390132023230023231');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (2, 5, 1, 'msg_54c885a9e4904a1f54f52722', 'changed', 7, '35', '40', '2026-12-05 00:33:24.843033+00', 1, 200, 1976, NULL, NULL, '\x0233350233360233370233380233390134023430');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (3, 5, 1, 'msg_61024463787666af3c293159', 'changed', 7, '22', '28', '2026-12-05 00:33:24.840883+00', 1, 200, 4185, NULL, NULL, '\x023232023233023234023235023236023237023238');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (4, 5, 1, 'msg_fe9b54075ef2de1412272400', 'changed', 7, '29', '34', '2026-12-05 00:33:24.840577+00', 1, 200, 5472, NULL, NULL, '\x0232390133023330023331023332023333023334');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (5, 5, 1, 'msg_4ae328d7ddf71b2049e6262f', 'changed', 7, '1', '15', '2026-12-05 00:33:24.84112+00', 1, 200, 4965, NULL, NULL, '\x0131023130023131023132023133023134023135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (6, 5, 1, 'msg_c8c97368c7941af254561044', 'changed', 5, '5', '9', '2026-12-05 00:33:24.890184+00', 1, 422, 1623, '{"error":"rejected"}', NULL, '\x01350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (7, 5, 1, 'msg_05e0c0044059ecb06cf8cdbe', 'changed', 2, '5', '6', '2026-12-05 00:33:24.895904+00', 1, 422, 1537, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (8, 5, 1, 'msg_ff64ffe996866a7c47d6f03b', 'changed', 1, '5', '5', '2026-12-05 00:33:24.897675+00', 1, 422, 674, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (9, 5, 1, 'msg_f4f502d9ca69a5bdbba5adb4', 'changed', 1, '6', '6', '2026-12-05 00:33:24.898645+00', 1, 422, 711, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (10, 5, 1, 'msg_83fcfb1a60df9ee9fc609c85', 'changed', 3, '7', '9', '2026-12-05 00:33:24.899544+00', 1, 200, 961, NULL, NULL, '\x013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (11, 1, 2, 'msg_f97383c27c199cb966af61b2', 'changed', 7, '00000000-0000-0000-0000-000000000015', '00000000-0000-0000-0000-000000000021', '2026-12-05 00:33:25.026971+00', 1, 200, 2433, NULL, NULL, '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303031352430303030303030302d303030302d303030302d303030302d3030303030303030303031362430303030303030302d303030302d303030302d303030302d3030303030303030303031372430303030303030302d303030302d303030302d303030302d3030303030303030303031382430303030303030302d303030302d303030302d303030302d3030303030303030303031392430303030303030302d303030302d303030302d303030302d3030303030303030303032302430303030303030302d303030302d303030302d303030302d303030303030303030303231');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (12, 1, 2, 'msg_77b6911b6f8c1c073e32a805', 'changed', 7, '00000000-0000-0000-0000-000000000008', '00000000-0000-0000-0000-000000000014', '2026-12-05 00:33:25.027148+00', 1, 200, 3894, NULL, NULL, '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303030382430303030303030302d303030302d303030302d303030302d3030303030303030303030392430303030303030302d303030302d303030302d303030302d3030303030303030303031302430303030303030302d303030302d303030302d303030302d3030303030303030303031312430303030303030302d303030302d303030302d303030302d3030303030303030303031322430303030303030302d303030302d303030302d303030302d3030303030303030303031332430303030303030302d303030302d303030302d303030302d303030303030303030303134');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (13, 1, 2, 'msg_124c2eed5a6dd907671b49cd', 'changed', 7, '00000000-0000-0000-0000-000000000022', '00000000-0000-0000-0000-000000000028', '2026-12-05 00:33:25.028583+00', 1, 200, 3053, NULL, NULL, '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303032322430303030303030302d303030302d303030302d303030302d3030303030303030303032332430303030303030302d303030302d303030302d303030302d3030303030303030303032342430303030303030302d303030302d303030302d303030302d3030303030303030303032352430303030303030302d303030302d303030302d303030302d3030303030303030303032362430303030303030302d303030302d303030302d303030302d3030303030303030303032372430303030303030302d303030302d303030302d303030302d303030303030303030303238');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (14, 1, 2, 'msg_86fc5099d7b5f3fa6d955610', 'changed', 7, '00000000-0000-0000-0000-000000000029', '00000000-0000-0000-0000-000000000035', '2026-12-05 00:33:25.029455+00', 1, 200, 2113, NULL, NULL, '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303032392430303030303030302d303030302d303030302d303030302d3030303030303030303033302430303030303030302d303030302d303030302d303030302d3030303030303030303033312430303030303030302d303030302d303030302d303030302d3030303030303030303033322430303030303030302d303030302d303030302d303030302d3030303030303030303033332430303030303030302d303030302d303030302d303030302d3030303030303030303033342430303030303030302d303030302d303030302d303030302d303030303030303030303335');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (15, 1, 2, 'msg_a51de91495a11303addb832c', 'changed', 5, '00000000-0000-0000-0000-000000000036', '00000000-0000-0000-0000-000000000040', '2026-12-05 00:33:25.031089+00', 1, 200, 1416, NULL, NULL, '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303033362430303030303030302d303030302d303030302d303030302d3030303030303030303033372430303030303030302d303030302d303030302d303030302d3030303030303030303033382430303030303030302d303030302d303030302d303030302d3030303030303030303033392430303030303030302d303030302d303030302d303030302d303030303030303030303430');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (16, 1, 2, 'msg_42a4f1d17300ca876928ff9a', 'changed', 7, '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000007', '2026-12-05 00:33:25.027484+00', 1, 422, 1271, '{"error":"rejected"}', NULL, '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303030312430303030303030302d303030302d303030302d303030302d3030303030303030303030322430303030303030302d303030302d303030302d303030302d3030303030303030303030332430303030303030302d303030302d303030302d303030302d3030303030303030303030342430303030303030302d303030302d303030302d303030302d3030303030303030303030352430303030303030302d303030302d303030302d303030302d3030303030303030303030362430303030303030302d303030302d303030302d303030302d303030303030303030303037');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (17, 1, 2, 'msg_815c4db84d415b0283a73e9d', 'changed', 3, '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000003', '2026-12-05 00:33:25.029215+00', 1, 200, 1482, NULL, NULL, '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303030312430303030303030302d303030302d303030302d303030302d3030303030303030303030322430303030303030302d303030302d303030302d303030302d303030303030303030303033');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (18, 1, 2, 'msg_02e87f0a695ea2b10844f01b', 'changed', 4, '00000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-000000000007', '2026-12-05 00:33:25.030948+00', 1, 422, 1756, '{"error":"rejected"}', NULL, '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303030342430303030303030302d303030302d303030302d303030302d3030303030303030303030352430303030303030302d303030302d303030302d303030302d3030303030303030303030362430303030303030302d303030302d303030302d303030302d303030303030303030303037');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (19, 1, 2, 'msg_94100d382373ac5b5af640eb', 'changed', 2, '00000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-000000000005', '2026-12-05 00:33:25.032889+00', 1, 422, 548, '{"error":"rejected"}', NULL, '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303030342430303030303030302d303030302d303030302d303030302d303030303030303030303035');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (20, 1, 2, 'msg_13b993dbfdf06949fd271abc', 'changed', 1, '00000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-000000000004', '2026-12-05 00:33:25.03362+00', 1, 200, 476, NULL, NULL, '\x2430303030303030302d303030302d303030302d303030302d303030303030303030303034');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (21, 1, 2, 'msg_ad9cdae750d927b129f4f636', 'changed', 1, '00000000-0000-0000-0000-000000000005', '00000000-0000-0000-0000-000000000005', '2026-12-05 00:33:25.034284+00', 1, 422, 477, '{"error":"rejected"}', NULL, '\x2430303030303030302d303030302d303030302d303030302d303030303030303030303035');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (22, 1, 2, 'msg_51d78bc2affda3610dc7c577', 'changed', 2, '00000000-0000-0000-0000-000000000006', '00000000-0000-0000-0000-000000000007', '2026-12-05 00:33:25.034948+00', 1, 422, 533, '{"error":"rejected"}', NULL, '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303030362430303030303030302d303030302d303030302d303030302d303030303030303030303037');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (23, 1, 2, 'msg_c407daef0f67c503de3debb3', 'changed', 1, '00000000-0000-0000-0000-000000000006', '00000000-0000-0000-0000-000000000006', '2026-12-05 00:33:25.035642+00', 1, 422, 538, '{"error":"rejected"}', NULL, '\x2430303030303030302d303030302d303030302d303030302d303030303030303030303036');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (24, 1, 2, 'msg_8eb114ec1b061dfd013a77c5', 'changed', 1, '00000000-0000-0000-0000-000000000007', '00000000-0000-0000-0000-000000000007', '2026-12-05 00:33:25.036352+00', 1, 200, 531, NULL, NULL, '\x2430303030303030302d303030302d303030302d303030302d303030303030303030303037');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (25, 2, 3, 'msg_5c3dbbf44b496cdeddf15fca', 'changed', 7, '29', '34', '2026-12-05 00:33:25.164144+00', 1, 200, 1972, NULL, NULL, '\x0232390133023330023331023332023333023334');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (26, 2, 3, 'msg_c3cab55509b562d33bd25400', 'changed', 7, '16', '21', '2026-12-05 00:33:25.164338+00', 1, 200, 2655, NULL, NULL, '\x0231360231370231380231390132023230023231');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (27, 2, 3, 'msg_82907516a718b517e9432a07', 'changed', 7, '1', '15', '2026-12-05 00:33:25.164436+00', 1, 200, 3877, NULL, NULL, '\x0131023130023131023132023133023134023135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (28, 2, 3, 'msg_469f8ed23e045c694d428fe5', 'changed', 7, '35', '40', '2026-12-05 00:33:25.166197+00', 1, 200, 2739, NULL, NULL, '\x0233350233360233370233380233390134023430');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (29, 2, 3, 'msg_fcbbbf8912d008e0b91778b0', 'changed', 7, '22', '28', '2026-12-05 00:33:25.164659+00', 1, 200, 4751, NULL, NULL, '\x023232023233023234023235023236023237023238');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (30, 2, 3, 'msg_9fafe70d76b0027ae896c1a5', 'changed', 5, '5', '9', '2026-12-05 00:33:25.16706+00', 1, 422, 3281, '{"error":"rejected"}', NULL, '\x01350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (31, 2, 3, 'msg_af3abefd026c5ddaf5958047', 'changed', 2, '5', '6', '2026-12-05 00:33:25.170857+00', 1, 422, 1459, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (32, 2, 3, 'msg_58f89361db51f73071b2c9eb', 'changed', 1, '5', '5', '2026-12-05 00:33:25.172807+00', 1, 422, 1134, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (33, 2, 3, 'msg_f9c16d51616c1f8610ba74d8', 'changed', 1, '6', '6', '2026-12-05 00:33:25.174169+00', 1, 422, 899, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (34, 2, 3, 'msg_a31e592b06e42a63f7473886', 'changed', 3, '7', '9', '2026-12-05 00:33:25.175506+00', 1, 200, 1174, NULL, NULL, '\x013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (35, 6, 4, 'msg_779714c018f50e9672be6c08', 'changed', 7, '1', '15', '2026-12-05 00:33:25.607488+00', 1, 200, 2173, NULL, NULL, '\x0131023130023131023132023133023134023135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (36, 6, 4, 'msg_93f3b512b85a10bb5c25d330', 'changed', 7, '29', '34', '2026-12-05 00:33:25.608365+00', 1, 200, 2985, NULL, NULL, '\x0232390133023330023331023332023333023334');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (37, 6, 4, 'msg_1d22218e14c8863ef255236f', 'changed', 7, '16', '21', '2026-12-05 00:33:25.608478+00', 1, 200, 4232, NULL, NULL, '\x0231360231370231380231390132023230023231');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (38, 6, 4, 'msg_b1c2b2098245a8ab798fb851', 'changed', 7, '22', '28', '2026-12-05 00:33:25.608475+00', 1, 200, 4367, NULL, NULL, '\x023232023233023234023235023236023237023238');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (39, 6, 4, 'msg_fabc20ba64a4b58519bf2de6', 'changed', 7, '35', '40', '2026-12-05 00:33:25.609748+00', 1, 200, 3920, NULL, NULL, '\x0233350233360233370233380233390134023430');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (40, 6, 4, 'msg_283f2b38ff01dfa48efbc547', 'changed', 5, '5', '9', '2026-12-05 00:33:25.611759+00', 1, 422, 2383, '{"error":"rejected"}', NULL, '\x01350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (41, 6, 4, 'msg_0f9cdafa5071a764d0e1d13b', 'changed', 2, '5', '6', '2026-12-05 00:33:25.614774+00', 1, 422, 967, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (42, 6, 4, 'msg_974a24423faa2896ddc0877e', 'changed', 1, '5', '5', '2026-12-05 00:33:25.616055+00', 1, 422, 892, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (43, 6, 4, 'msg_08359d4187ed5bdfb462892d', 'changed', 1, '6', '6', '2026-12-05 00:33:25.617364+00', 1, 422, 848, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (44, 6, 4, 'msg_f7838675ebed3233676ae6ea', 'changed', 3, '7', '9', '2026-12-05 00:33:25.618759+00', 1, 200, 1015, NULL, NULL, '\x013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (45, 3, 5, 'msg_141b80d870c85e71375a03d3', 'changed', 5, 'u13@x.com', 'u17@x.com', '2026-12-05 00:33:25.720302+00', 1, 200, 1695, NULL, NULL, '\x0975313340782e636f6d0975313440782e636f6d0975313540782e636f6d0975313640782e636f6d0975313740782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (46, 3, 5, 'msg_aea546f8e2f096c5cfa636ef', 'changed', 5, 'u18@x.com', 'u21@x.com', '2026-12-05 00:33:25.720714+00', 1, 200, 3132, NULL, NULL, '\x0975313840782e636f6d0975313940782e636f6d08753140782e636f6d0975323040782e636f6d0975323140782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (47, 3, 5, 'msg_949dad032b27959e85238832', 'changed', 5, 'u31@x.com', 'u35@x.com', '2026-12-05 00:33:25.723943+00', 1, 200, 2066, NULL, NULL, '\x0975333140782e636f6d0975333240782e636f6d0975333340782e636f6d0975333440782e636f6d0975333540782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (48, 3, 5, 'msg_0c2bbc7e38d1b869b19b8a5d', 'changed', 5, 'u22@x.com', 'u26@x.com', '2026-12-05 00:33:25.720134+00', 1, 200, 6066, NULL, NULL, '\x0975323240782e636f6d0975323340782e636f6d0975323440782e636f6d0975323540782e636f6d0975323640782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (49, 3, 5, 'msg_82834ecc013b5173d2237950', 'changed', 5, 'u27@x.com', 'u30@x.com', '2026-12-05 00:33:25.722172+00', 1, 200, 5106, NULL, NULL, '\x0975323740782e636f6d0975323840782e636f6d0975323940782e636f6d08753240782e636f6d0975333040782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (50, 3, 5, 'msg_711cdd2ce425ebdcd801cd40', 'changed', 5, 'u36@x.com', 'u3@x.com', '2026-12-05 00:33:25.726085+00', 1, 200, 1967, NULL, NULL, '\x0975333640782e636f6d0975333740782e636f6d0975333840782e636f6d0975333940782e636f6d08753340782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (51, 3, 5, 'msg_b6a09334c496d54224fef65b', 'changed', 5, 'u40@x.com', 'u9@x.com', '2026-12-05 00:33:25.726267+00', 1, 200, 2910, NULL, NULL, '\x0975343040782e636f6d08753440782e636f6d08753740782e636f6d08753840782e636f6d08753940782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (52, 3, 5, 'msg_a8257f8d1ff962725086afd4', 'changed', 5, 'rej5@x.com', 'u12@x.com', '2026-12-05 00:33:25.720478+00', 1, 422, 3620, '{"error":"rejected"}', NULL, '\x0a72656a3540782e636f6d0a72656a3640782e636f6d0975313040782e636f6d0975313140782e636f6d0975313240782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (53, 3, 5, 'msg_a384ef275ff9702ff7634234', 'changed', 2, 'rej5@x.com', 'rej6@x.com', '2026-12-05 00:33:25.724803+00', 1, 422, 3299, '{"error":"rejected"}', NULL, '\x0a72656a3540782e636f6d0a72656a3640782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (54, 3, 5, 'msg_e2f86db0bcb03b76b45c5fb5', 'changed', 1, 'rej5@x.com', 'rej5@x.com', '2026-12-05 00:33:25.728456+00', 1, 422, 2355, '{"error":"rejected"}', NULL, '\x0a72656a3540782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (55, 3, 5, 'msg_5042eac1e377c71f498986ae', 'changed', 1, 'rej6@x.com', 'rej6@x.com', '2026-12-05 00:33:25.731406+00', 1, 422, 2635, '{"error":"rejected"}', NULL, '\x0a72656a3640782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (56, 3, 5, 'msg_4c64bb4d6e6f45a8a6aac41d', 'changed', 3, 'u10@x.com', 'u12@x.com', '2026-12-05 00:33:25.734577+00', 1, 200, 1845, NULL, NULL, '\x0975313040782e636f6d0975313140782e636f6d0975313240782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (57, 4, 6, 'msg_1c590bc4d7e02377f6bf266d', 'new', 1, '1', '1', '2026-12-05 00:33:25.824061+00', 1, 200, 4541, NULL, NULL, '\x0131');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (58, 4, 6, 'msg_1ad1d443c7fd23913769df09', 'new', 1, '10', '10', '2026-12-05 00:33:25.828998+00', 1, 200, 3539, NULL, NULL, '\x023130');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (59, 4, 6, 'msg_0cfde5578c4ec5d466f3ddd4', 'new', 1, '11', '11', '2026-12-05 00:33:25.832849+00', 1, 200, 702, NULL, NULL, '\x023131');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (60, 4, 6, 'msg_f61abcb67d6070489f7bf6b9', 'new', 1, '12', '12', '2026-12-05 00:33:25.833827+00', 1, 200, 806, NULL, NULL, '\x023132');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (61, 4, 6, 'msg_a9c576846626071081f93793', 'new', 1, '13', '13', '2026-12-05 00:33:25.834914+00', 1, 200, 942, NULL, NULL, '\x023133');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (62, 4, 6, 'msg_c6c67cc57302e02c018d4ec5', 'new', 1, '14', '14', '2026-12-05 00:33:25.835965+00', 1, 200, 651, NULL, NULL, '\x023134');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (63, 4, 6, 'msg_317b28a4a546b2f358d05c1c', 'new', 1, '15', '15', '2026-12-05 00:33:25.836787+00', 1, 200, 632, NULL, NULL, '\x023135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (64, 4, 6, 'msg_ee4090b5f38db2f5ff11c4b4', 'new', 1, '16', '16', '2026-12-05 00:33:25.837591+00', 1, 200, 2583, NULL, NULL, '\x023136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (65, 4, 6, 'msg_60ea9f125345d3d529fdfedb', 'new', 1, '17', '17', '2026-12-05 00:33:25.840424+00', 1, 200, 601, NULL, NULL, '\x023137');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (66, 4, 6, 'msg_7404bfa7d01ef3b654088d48', 'new', 1, '18', '18', '2026-12-05 00:33:25.841133+00', 1, 200, 3040, NULL, NULL, '\x023138');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (67, 4, 6, 'msg_8c8b857d6dfaa05578a79492', 'new', 1, '19', '19', '2026-12-05 00:33:25.844409+00', 1, 200, 602, NULL, NULL, '\x023139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (68, 4, 6, 'msg_7369a952aaeff92dc96c073e', 'new', 1, '2', '2', '2026-12-05 00:33:25.84511+00', 1, 200, 1355, NULL, NULL, '\x0132');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (69, 4, 6, 'msg_6172f9e7f5edd72f889168e2', 'new', 1, '20', '20', '2026-12-05 00:33:25.846859+00', 1, 200, 1243, NULL, NULL, '\x023230');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (70, 4, 6, 'msg_9fffee9ca9e29cf78dc058a5', 'new', 1, '21', '21', '2026-12-05 00:33:25.848193+00', 1, 200, 4347, NULL, NULL, '\x023231');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (71, 4, 6, 'msg_0a7f7dfb05287075550315e2', 'new', 1, '22', '22', '2026-12-05 00:33:25.852743+00', 1, 200, 667, NULL, NULL, '\x023232');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (72, 4, 6, 'msg_92cb23504fbb68e233da7083', 'new', 1, '23', '23', '2026-12-05 00:33:25.853505+00', 1, 200, 497, NULL, NULL, '\x023233');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (73, 4, 6, 'msg_a82b58def308c639d97e15a7', 'new', 1, '24', '24', '2026-12-05 00:33:25.854085+00', 1, 200, 490, NULL, NULL, '\x023234');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (74, 4, 6, 'msg_7a16370b492415e2018413c3', 'new', 1, '25', '25', '2026-12-05 00:33:25.854664+00', 1, 200, 481, NULL, NULL, '\x023235');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (75, 4, 6, 'msg_b10513b2385f56a9b88a0da1', 'new', 1, '26', '26', '2026-12-05 00:33:25.855248+00', 1, 200, 537, NULL, NULL, '\x023236');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (76, 4, 6, 'msg_e45edc4819aee3263dd1ec82', 'new', 1, '27', '27', '2026-12-05 00:33:25.855876+00', 1, 200, 682, NULL, NULL, '\x023237');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (77, 4, 6, 'msg_7af98e1f3a9fd947a2ba68c4', 'new', 1, '28', '28', '2026-12-05 00:33:25.856653+00', 1, 200, 502, NULL, NULL, '\x023238');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (78, 4, 6, 'msg_95db7bbb31e7e852d9593b3e', 'new', 1, '29', '29', '2026-12-05 00:33:25.857256+00', 1, 200, 678, NULL, NULL, '\x023239');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (79, 4, 6, 'msg_fe4ca3721cfe8b0a545d98cb', 'new', 1, '3', '3', '2026-12-05 00:33:25.858172+00', 1, 200, 1879, NULL, NULL, '\x0133');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (80, 4, 6, 'msg_269ee928f9ed6f06386e8e46', 'new', 1, '30', '30', '2026-12-05 00:33:25.860178+00', 1, 200, 4229, NULL, NULL, '\x023330');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (81, 4, 6, 'msg_2218ffbd677d6a02cfb09938', 'new', 1, '31', '31', '2026-12-05 00:33:25.864634+00', 1, 200, 709, NULL, NULL, '\x023331');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (82, 4, 6, 'msg_7d97ef71ea2e96725ad46b1a', 'new', 1, '32', '32', '2026-12-05 00:33:25.865437+00', 1, 200, 530, NULL, NULL, '\x023332');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (83, 4, 6, 'msg_a85c8a4ab5486f08b4905347', 'new', 1, '33', '33', '2026-12-05 00:33:25.866073+00', 1, 200, 511, NULL, NULL, '\x023333');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (84, 4, 6, 'msg_04a2113c29f48be283e47d5f', 'new', 1, '34', '34', '2026-12-05 00:33:25.866679+00', 1, 200, 476, NULL, NULL, '\x023334');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (85, 4, 6, 'msg_bf0e637fdf6c60fd0433737a', 'new', 1, '35', '35', '2026-12-05 00:33:25.867269+00', 1, 200, 557, NULL, NULL, '\x023335');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (86, 4, 6, 'msg_b162b9118f37e95d27d02e7c', 'new', 1, '36', '36', '2026-12-05 00:33:25.867927+00', 1, 200, 557, NULL, NULL, '\x023336');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (87, 4, 6, 'msg_4c204f660e1fa6f82db9d7bc', 'new', 1, '37', '37', '2026-12-05 00:33:25.868564+00', 1, 200, 481, NULL, NULL, '\x023337');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (88, 4, 6, 'msg_283c9921c8f75a902910a681', 'new', 1, '38', '38', '2026-12-05 00:33:25.869158+00', 1, 200, 575, NULL, NULL, '\x023338');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (89, 4, 6, 'msg_eb40f54ee9998c25fdca565f', 'new', 1, '39', '39', '2026-12-05 00:33:25.869833+00', 1, 200, 517, NULL, NULL, '\x023339');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (90, 4, 6, 'msg_1214bb8013b520f01c943813', 'new', 1, '4', '4', '2026-12-05 00:33:25.870443+00', 1, 200, 480, NULL, NULL, '\x0134');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (91, 4, 6, 'msg_aa1caa71721801eceeb7169f', 'new', 1, '40', '40', '2026-12-05 00:33:25.87102+00', 1, 200, 548, NULL, NULL, '\x023430');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (92, 4, 6, 'msg_96ad2624425d8582411fe1f1', 'new', 1, '5', '5', '2026-12-05 00:33:25.8717+00', 1, 200, 573, NULL, NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (93, 4, 6, 'msg_428581c8347c0ce91d616522', 'new', 1, '6', '6', '2026-12-05 00:33:25.872387+00', 1, 200, 498, NULL, NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (94, 4, 6, 'msg_1c3cacc0a946ba3d921c728d', 'new', 1, '7', '7', '2026-12-05 00:33:25.872971+00', 1, 200, 546, NULL, NULL, '\x0137');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (95, 4, 6, 'msg_983e1b0d8abcbc7ade7d8afd', 'new', 1, '8', '8', '2026-12-05 00:33:25.873614+00', 1, 200, 518, NULL, NULL, '\x0138');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (96, 4, 6, 'msg_bdb73c91b791fa93f3b9f0f2', 'new', 1, '9', '9', '2026-12-05 00:33:25.874244+00', 1, 200, 533, NULL, NULL, '\x0139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (97, 5, 7, 'msg_a4b0149d1a2d390e13e18cf7', 'changed', 2, '5', '6', '2026-12-05 00:33:29.41621+00', 1, 422, 1673, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (98, 5, 7, 'msg_ab6aaf53e5d9760c646731b0', 'changed', 1, '5', '5', '2026-12-05 00:33:29.418589+00', 1, 422, 1002, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (99, 5, 7, 'msg_57b88a17acb0408b47af7219', 'changed', 1, '6', '6', '2026-12-05 00:33:29.419902+00', 1, 422, 8823, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (100, 1, 8, 'msg_23bd5fbea8de6d64fcd78539', 'changed', 2, '00000000-0000-0000-0000-000000000005', '00000000-0000-0000-0000-000000000006', '2026-12-05 00:33:29.608201+00', 1, 422, 4578, '{"error":"rejected"}', NULL, '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303030352430303030303030302d303030302d303030302d303030302d303030303030303030303036');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (101, 1, 8, 'msg_87b98144d5e089e0f67102cf', 'changed', 1, '00000000-0000-0000-0000-000000000005', '00000000-0000-0000-0000-000000000005', '2026-12-05 00:33:29.613667+00', 1, 422, 2798, '{"error":"rejected"}', NULL, '\x2430303030303030302d303030302d303030302d303030302d303030303030303030303035');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (102, 1, 8, 'msg_2f0105f51a58f045e32ce4f0', 'changed', 1, '00000000-0000-0000-0000-000000000006', '00000000-0000-0000-0000-000000000006', '2026-12-05 00:33:29.617279+00', 1, 422, 3656, '{"error":"rejected"}', NULL, '\x2430303030303030302d303030302d303030302d303030302d303030303030303030303036');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (103, 2, 9, 'msg_7979bab7b90d09e23272138d', 'changed', 2, '5', '6', '2026-12-05 00:33:29.752084+00', 1, 422, 4813, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (104, 2, 9, 'msg_25380aea1ed1abb601292de8', 'changed', 1, '5', '5', '2026-12-05 00:33:29.757523+00', 1, 422, 2915, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (105, 2, 9, 'msg_86311635838112c995c82368', 'changed', 1, '6', '6', '2026-12-05 00:33:29.760692+00', 1, 422, 3739, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (106, 6, 10, 'msg_2bbe2c80bd54baa52cbedddd', 'changed', 2, '5', '6', '2026-12-05 00:33:30.094245+00', 1, 422, 2023, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (107, 6, 10, 'msg_e8d491323ea42977c300d54c', 'changed', 1, '5', '5', '2026-12-05 00:33:30.096786+00', 1, 422, 755, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (108, 6, 10, 'msg_ee2601fb30be50c7f2f997c8', 'changed', 1, '6', '6', '2026-12-05 00:33:30.097886+00', 1, 422, 859, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (109, 3, 11, 'msg_48289e3a0f1072369f38a6f6', 'changed', 2, 'rej5@x.com', 'rej6@x.com', '2026-12-05 00:33:30.255341+00', 1, 422, 1321, '{"error":"rejected"}', NULL, '\x0a72656a3540782e636f6d0a72656a3640782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (110, 3, 11, 'msg_cfd5bf86f4ed3e3716547528', 'changed', 1, 'rej5@x.com', 'rej5@x.com', '2026-12-05 00:33:30.257135+00', 1, 422, 1111, '{"error":"rejected"}', NULL, '\x0a72656a3540782e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (111, 3, 11, 'msg_ae888636a318666e790887e4', 'changed', 1, 'rej6@x.com', 'rej6@x.com', '2026-12-05 00:33:30.258696+00', 1, 422, 978, '{"error":"rejected"}', NULL, '\x0a72656a3640782e636f6d');


--
-- Data for Name: sync_fences; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_fences VALUES (5, 2);
INSERT INTO backflow.sync_fences VALUES (1, 2);
INSERT INTO backflow.sync_fences VALUES (2, 2);
INSERT INTO backflow.sync_fences VALUES (6, 2);
INSERT INTO backflow.sync_fences VALUES (3, 2);
INSERT INTO backflow.sync_fences VALUES (4, 2);


--
-- Data for Name: sync_intents; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: sync_ledger; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: sync_ledger_pages; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_ledger_pages VALUES (5, '16', '21', '\x023136aa733613079df935e69f9e36a8f43b06023137407caa36fd2404e69366cbbb112768a60231381571293233d341b255cbf4e363e3156402313917613e5e7e1100eb871b5b2054aa150401327c59bc668c5a4e80699762e7e6f7dc4302323079d95794eeb586ef81ef49b289458549023231ce88ced79ca979e27ff6ea1730cc7ebe');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '35', '40', '\x023335f29d6a74b10cf6c6336ded391be438c7023336323538dff3ca68b67e7a8ec7aa23e4a7023337f5f7ecdca202b292a57c11f39c89cf5b0233386806a536bc3f0ab7c42ade1a4bf61c0d023339d35d60d15870b18c372bd7820bdc370a0134cc54bda6c61b023f4c232333f0dfd51202343080a6a6dce0cd71b036c2ad1941a508a2');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '22', '28', '\x023232d2861c370490b81ac19cb08bc56e77b20232333de3cac02ed2e29f169f5bbf9f765fe102323490b829296b8c084d76d7710f41f58808023235af203d732f08222bed2d31c5b7d73cc602323667700d35cbea48dc00aea796a0e3cde402323793ace5d02170daf1ffdc0e70b782975c023238d35585e35c4338943a3c3e396eab335c');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '29', '34', '\x02323911df10ff8376f41b6f11500cfa9a57ad0133daa097127d357d079c163a4bbc73cca7023330381741a75dfa6f0d2368187c14d410f502333152ec425fa802062dde1cf020e1335dbd023332ef0d48fac19894ecbeed61d0787ce40f023333a7dcd4cd9c032c0826dce93492f73021023334fdd568b3cfb7986f82947b2d1f11b117');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '1', '15', '\x01316d653cb29f9185123418123aa4bbb9cb023130cf8ea585284ed62703875bf5b88f56a202313159dc813bb4a5bdf4215ea26084412d7c0231321c5b0e7b625c27e3b693d4a12033e66d0231337f7cb6ec273acafd731efd6961b1e479023134dd1e9aa3ea502de458a1920d131042d5023135e4eea5a718c7fba212df573996ae3d35');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '7', '9', '\x013751ab4b6e1cd04706aadd867e72ba8c9f01385e4aab2a5d9409413fee8bab67b4227d01394dac390b7689608bd0109e739068d901');
INSERT INTO backflow.sync_ledger_pages VALUES (1, '00000000-0000-0000-0000-000000000015', '00000000-0000-0000-0000-000000000021', '\x2430303030303030302d303030302d303030302d303030302d303030303030303030303135e4eea5a718c7fba212df573996ae3d352430303030303030302d303030302d303030302d303030302d303030303030303030303136aa733613079df935e69f9e36a8f43b062430303030303030302d303030302d303030302d303030302d303030303030303030303137407caa36fd2404e69366cbbb112768a62430303030303030302d303030302d303030302d303030302d3030303030303030303031381571293233d341b255cbf4e363e315642430303030303030302d303030302d303030302d303030302d30303030303030303030313917613e5e7e1100eb871b5b2054aa15042430303030303030302d303030302d303030302d303030302d30303030303030303030323079d95794eeb586ef81ef49b2894585492430303030303030302d303030302d303030302d303030302d303030303030303030303231ce88ced79ca979e27ff6ea1730cc7ebe');
INSERT INTO backflow.sync_ledger_pages VALUES (1, '00000000-0000-0000-0000-000000000008', '00000000-0000-0000-0000-000000000014', '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303030385e4aab2a5d9409413fee8bab67b4227d2430303030303030302d303030302d303030302d303030302d3030303030303030303030394dac390b7689608bd0109e739068d9012430303030303030302d303030302d303030302d303030302d303030303030303030303130cf8ea585284ed62703875bf5b88f56a22430303030303030302d303030302d303030302d303030302d30303030303030303030313159dc813bb4a5bdf4215ea26084412d7c2430303030303030302d303030302d303030302d303030302d3030303030303030303031321c5b0e7b625c27e3b693d4a12033e66d2430303030303030302d303030302d303030302d303030302d3030303030303030303031337f7cb6ec273acafd731efd6961b1e4792430303030303030302d303030302d303030302d303030302d303030303030303030303134dd1e9aa3ea502de458a1920d131042d5');
INSERT INTO backflow.sync_ledger_pages VALUES (1, '00000000-0000-0000-0000-000000000022', '00000000-0000-0000-0000-000000000028', '\x2430303030303030302d303030302d303030302d303030302d303030303030303030303232d2861c370490b81ac19cb08bc56e77b22430303030303030302d303030302d303030302d303030302d3030303030303030303032333de3cac02ed2e29f169f5bbf9f765fe12430303030303030302d303030302d303030302d303030302d30303030303030303030323490b829296b8c084d76d7710f41f588082430303030303030302d303030302d303030302d303030302d303030303030303030303235af203d732f08222bed2d31c5b7d73cc62430303030303030302d303030302d303030302d303030302d30303030303030303030323667700d35cbea48dc00aea796a0e3cde42430303030303030302d303030302d303030302d303030302d30303030303030303030323793ace5d02170daf1ffdc0e70b782975c2430303030303030302d303030302d303030302d303030302d303030303030303030303238d35585e35c4338943a3c3e396eab335c');
INSERT INTO backflow.sync_ledger_pages VALUES (1, '00000000-0000-0000-0000-000000000029', '00000000-0000-0000-0000-000000000035', '\x2430303030303030302d303030302d303030302d303030302d30303030303030303030323911df10ff8376f41b6f11500cfa9a57ad2430303030303030302d303030302d303030302d303030302d303030303030303030303330381741a75dfa6f0d2368187c14d410f52430303030303030302d303030302d303030302d303030302d30303030303030303030333152ec425fa802062dde1cf020e1335dbd2430303030303030302d303030302d303030302d303030302d303030303030303030303332ef0d48fac19894ecbeed61d0787ce40f2430303030303030302d303030302d303030302d303030302d303030303030303030303333a7dcd4cd9c032c0826dce93492f730212430303030303030302d303030302d303030302d303030302d303030303030303030303334fdd568b3cfb7986f82947b2d1f11b1172430303030303030302d303030302d303030302d303030302d303030303030303030303335f29d6a74b10cf6c6336ded391be438c7');
INSERT INTO backflow.sync_ledger_pages VALUES (1, '00000000-0000-0000-0000-000000000036', '00000000-0000-0000-0000-000000000040', '\x2430303030303030302d303030302d303030302d303030302d303030303030303030303336323538dff3ca68b67e7a8ec7aa23e4a72430303030303030302d303030302d303030302d303030302d303030303030303030303337f5f7ecdca202b292a57c11f39c89cf5b2430303030303030302d303030302d303030302d303030302d3030303030303030303033386806a536bc3f0ab7c42ade1a4bf61c0d2430303030303030302d303030302d303030302d303030302d303030303030303030303339d35d60d15870b18c372bd7820bdc370a2430303030303030302d303030302d303030302d303030302d30303030303030303030343080a6a6dce0cd71b036c2ad1941a508a2');
INSERT INTO backflow.sync_ledger_pages VALUES (1, '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000007', '\x2430303030303030302d303030302d303030302d303030302d3030303030303030303030316d653cb29f9185123418123aa4bbb9cb2430303030303030302d303030302d303030302d303030302d3030303030303030303030327c59bc668c5a4e80699762e7e6f7dc432430303030303030302d303030302d303030302d303030302d303030303030303030303033daa097127d357d079c163a4bbc73cca72430303030303030302d303030302d303030302d303030302d303030303030303030303034cc54bda6c61b023f4c232333f0dfd5122430303030303030302d303030302d303030302d303030302d30303030303030303030303751ab4b6e1cd04706aadd867e72ba8c9f');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '29', '34', '\x023239544680e2cf823bf2c307648b635822de01335fedac43f82c7b508c0bad532dedbad6023330992c2ab7f88a88a9dc4b3e24a25070270233315ca06b4cf02813789852d11e4a4e162c02333268b9887af3c51e1e04fbe3ccfdbd63ad0233336a1d9c610fbabf7fc8058d5dab40581002333438e87658535ec11265c509b8f9b06c96');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '16', '21', '\x023136da2b67d36090ed9a0077a7d4dff49bba023137a0a3c54f7ccd37a499fa880f68d934ab023138134a09c770f1d2ce3b029be541ca40e50231391daff1105a809b73b039dd5a6743b9de0132159d40e4d489ee570c8f18a28a1eb1ae0232302c5f69ff093cbec924408d19afd76678023231d21db63b27607849394bb402be648e4e');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '1', '15', '\x0131b256e26c5868bdc7645e311c2a2b8de40231303ca22540f258492e1d5d594fcef5b89702313190b57098d989b7125ef8f0b5be4480d102313279e93637ac293bfed9d059ee36984a4002313365bf5e54653d54738ba1a3af7c8cc6ee023134c5061c58bfb019aebe16c13fffba55a3023135751df468f9e5ae40a54640dce83ca67a');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '35', '40', '\x023335a5db1519b4b8b773b333a803d5e7202b02333662340f59757de734bbf3283f71584f7f023337aff9b6173a7af6e06855666946d59b600233382795cb21fe5b2b2302b5af84ba153be30233391a181f72c6d39a920e1f37d4d40a934501348857a31678bd536311519a577e929dcc023430a473d288f7b644eb269e34f5781ae106');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '22', '28', '\x023232d2ddd743fb09892cec9c69632bcec2be023233db47487aea7c6302db2e1c7d00595d82023234bb30b78b3de0572f0fdfaea943a4c29202323530cbb51d1948278a3f990fcc12670c04023236df147a53d2a636e0a0edcb75b728f7bb023237c6e095e59ed90a668e2004cf1d96b720023238da629a1463fcef258f9f3ba3bcb0c84a');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '7', '9', '\x01372f58e24d2be3189e925fde8a9dea7cb30138ee8fffe1215d354f1e19cb4d1c44873d0139fd0097e06cd86230c1369677ea26ed28');
INSERT INTO backflow.sync_ledger_pages VALUES (6, '1', '15', '\x01310a1a6cde35e556840e845870ce687ff602313042faea6a5258928aabbf06aec8a6e03e023131a94578aeb43bfbfe67448721b089296c0231323c9fcb92b7b85734d0b0e18c1b34866e023133f79b2ef1f0489fcf088d972c709d05e10231345ae07a8d645dd53a50fa650caf40c077023135ab05d938a5cafb89540aa3f5e8b9dbdf');
INSERT INTO backflow.sync_ledger_pages VALUES (6, '29', '34', '\x0232391d059bdb2cf1ff12db097ceb208323b601333e3103f89d2759e94f78343b379a03150233308270bac8070d46cc0f5d6ceb372e75c4023331583a4f5ffff80aa8abffc357b4aba8990233326ff18b059644dab5cde259203eba30a2023333193c39a299f00bc28c4157550ce4a91f02333420fa7b11018b9c58ec886493d89b44fe');
INSERT INTO backflow.sync_ledger_pages VALUES (6, '16', '21', '\x0231362d36a0714db94813e6b2ad96adea18bb023137ca88116cf4543bb9936e99e79c26a25c023138404fcb72d1b7f25e81c9742c2e66e5790231399da0d03dff2f141fa02ca8323adbbe060132ac10c929116dca79962711b7e7055935023230fa8031350373ec8daa50295002f60318023231ac2852c0035406fe30ff6c2528e7858b');
INSERT INTO backflow.sync_ledger_pages VALUES (6, '22', '28', '\x023232d51fc971d85ae176fb892b48a6e281720232335cb300e1b94e570520bdc2b292ba270a023234a6e386bf2ee60bd452145461f64743760232353e235124450e4248bc3c4db850883872023236ed1a3607514b53607193b49be44d64ba023237c27d0fbe39b04b542563c8f4c0dd4d380232387f17a682d4dc45de95d221d1e4041196');
INSERT INTO backflow.sync_ledger_pages VALUES (6, '35', '40', '\x023335db073f14422fdc04816d02a62198aba302333628d62eb46f157fcee2bcc964c2ad9775023337f9b37287cd6c5e73f230a527aca90b7c02333872463beae9f218e1e6576b28fdb3cf990233394ac9d18df74a3f79dfd96b553b7c2e3a0134bbab4da401f3028b25b1ca0d15752220023430992c5bd0a65f76d6321c9d9b7e743bac');
INSERT INTO backflow.sync_ledger_pages VALUES (6, '7', '9', '\x0137c5d86d8d89393ea5e4ab9712e815f89b013825c7bae34151c02d9e49097a2a16be1201392b85d954256b12f9702efdd1f744db87');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u13@x.com', 'u17@x.com', '\x0975313340782e636f6dfc8cbcb22c0915416ccea3f0197ace860975313440782e636f6d5faa775ec402dc04638cd944cdfbebc60975313540782e636f6d529a55638e04fb007d910839ee913d9d0975313640782e636f6dffe6fb915d58b35398fd8839040e30540975313740782e636f6d7a0749bd38f54a43da4af7534319797b');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u18@x.com', 'u21@x.com', '\x0975313840782e636f6d5392995d2d00dc372620148db155ae2d0975313940782e636f6d56ac02e39e467bca95da5f7e4b6e5ad808753140782e636f6d5b88d3eaa789a2462ac57a27fd828d830975323040782e636f6dc64d7cfcdab896244dfbaa6b7073b5090975323140782e636f6d4e0e84cfefca007a70ed4c474f6b5439');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u31@x.com', 'u35@x.com', '\x0975333140782e636f6dbf5d3d6aa5a09610132782393ea48e700975333240782e636f6d2c73b2603241b5d26ae22d6bdfee578a0975333340782e636f6d6d530c3eba7c9fe4289747ced4b1d4da0975333440782e636f6d1b5f77fd83e290493288a46fc827df860975333540782e636f6d3d0376cfa0a480f003889d64f54d5325');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u22@x.com', 'u26@x.com', '\x0975323240782e636f6d4cb7a113459d277c48bea72ec5764d2d0975323340782e636f6d8de53737e77fef5078b7869847fb71060975323440782e636f6d442ff7e84feaf27fdf3625f491e611d90975323540782e636f6d90b83f9815359ecb9a3777791d4d16d60975323640782e636f6d7a5b9f72c64aaf3ffe5f757a8da03ca4');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u27@x.com', 'u30@x.com', '\x0975323740782e636f6da7b4222929738f85bf9f6f23c256f7560975323840782e636f6d72bd71565ef4410583aee8a3938d9e930975323940782e636f6dce4b59e084c6a786ac35c7d565c0693708753240782e636f6dfc14bcc5410f0f440c3bb537432940690975333040782e636f6d65654b036448ce53fe047fee52399d27');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u36@x.com', 'u3@x.com', '\x0975333640782e636f6d1e75a06c84cef3dec4486bab425d70080975333740782e636f6d2701e70d0451062b28aa3c615bb329b70975333840782e636f6d3497b7290b7d68024271153e983c2f5e0975333940782e636f6d23e2e89a02d3a3640339f0eaafbc172e08753340782e636f6dba83dcdf4ed2bbc83edba2dd4725eea9');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u40@x.com', 'u9@x.com', '\x0975343040782e636f6d88bb52946faa109b30005b9938b7b49208753440782e636f6d5b8508525523f6044b71d385e40cc3c408753740782e636f6d850fa6b877b80f9789647ef286d0a2d308753840782e636f6df3885428366c84a514c78c1120e5d63908753940782e636f6d6872222c84d02525e98ec2e9c53f33d3');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u10@x.com', 'u12@x.com', '\x0975313040782e636f6d9bc8b686c18198ea15096d8d65670c1a0975313140782e636f6d8b222813bfe2bc26131c30b51addc17b0975313240782e636f6de565e6e6b3f89d23ef9bd85ef8f202a3');
INSERT INTO backflow.sync_ledger_pages VALUES (4, '1', '9', '\x01316d653cb29f9185123418123aa4bbb9cb023130cf8ea585284ed62703875bf5b88f56a202313159dc813bb4a5bdf4215ea26084412d7c0231321c5b0e7b625c27e3b693d4a12033e66d0231337f7cb6ec273acafd731efd6961b1e479023134dd1e9aa3ea502de458a1920d131042d5023135e4eea5a718c7fba212df573996ae3d35023136aa733613079df935e69f9e36a8f43b06023137407caa36fd2404e69366cbbb112768a60231381571293233d341b255cbf4e363e3156402313917613e5e7e1100eb871b5b2054aa150401327c59bc668c5a4e80699762e7e6f7dc4302323079d95794eeb586ef81ef49b289458549023231ce88ced79ca979e27ff6ea1730cc7ebe023232d2861c370490b81ac19cb08bc56e77b20232333de3cac02ed2e29f169f5bbf9f765fe102323490b829296b8c084d76d7710f41f58808023235af203d732f08222bed2d31c5b7d73cc602323667700d35cbea48dc00aea796a0e3cde402323793ace5d02170daf1ffdc0e70b782975c023238d35585e35c4338943a3c3e396eab335c02323911df10ff8376f41b6f11500cfa9a57ad0133daa097127d357d079c163a4bbc73cca7023330381741a75dfa6f0d2368187c14d410f502333152ec425fa802062dde1cf020e1335dbd023332ef0d48fac19894ecbeed61d0787ce40f023333a7dcd4cd9c032c0826dce93492f73021023334fdd568b3cfb7986f82947b2d1f11b117023335f29d6a74b10cf6c6336ded391be438c7023336323538dff3ca68b67e7a8ec7aa23e4a7023337f5f7ecdca202b292a57c11f39c89cf5b0233386806a536bc3f0ab7c42ade1a4bf61c0d023339d35d60d15870b18c372bd7820bdc370a0134cc54bda6c61b023f4c232333f0dfd51202343080a6a6dce0cd71b036c2ad1941a508a2013533c74c21fa6ad77be825b547377380f801366e0f8c4f0a6e4494aab87f7cc7c86e6b013751ab4b6e1cd04706aadd867e72ba8c9f01385e4aab2a5d9409413fee8bab67b4227d01394dac390b7689608bd0109e739068d901');


--
-- Data for Name: sync_runs; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (1, 5, 'succeeded', 'manual', '2026-12-05 00:33:24.799152+00', '2026-12-05 00:33:24.908262+00', 40, 0, 40, 0, 0, 38, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (2, 1, 'succeeded', 'manual', '2026-12-05 00:33:24.988327+00', '2026-12-05 00:33:25.042058+00', 40, 0, 40, 0, 0, 38, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (3, 2, 'succeeded', 'manual', '2026-12-05 00:33:25.103864+00', '2026-12-05 00:33:25.183459+00', 40, 0, 40, 0, 0, 38, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (4, 6, 'succeeded', 'manual', '2026-12-05 00:33:25.259631+00', '2026-12-05 00:33:25.630189+00', 40, 0, 40, 0, 0, 38, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (5, 3, 'succeeded', 'manual', '2026-12-05 00:33:25.699978+00', '2026-12-05 00:33:25.741868+00', 40, 0, 40, 0, 0, 38, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (6, 4, 'succeeded', 'manual', '2026-12-05 00:33:25.799434+00', '2026-12-05 00:33:25.882484+00', 40, 0, 40, 0, 0, 40, 0, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (7, 5, 'succeeded', 'manual', '2026-12-05 00:33:29.383912+00', '2026-12-05 00:33:29.434366+00', 40, 0, 2, 0, 0, 0, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (8, 1, 'succeeded', 'manual', '2026-12-05 00:33:29.554956+00', '2026-12-05 00:33:29.625946+00', 40, 0, 2, 0, 0, 0, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (9, 2, 'succeeded', 'manual', '2026-12-05 00:33:29.709156+00', '2026-12-05 00:33:29.770954+00', 40, 0, 2, 0, 0, 0, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (10, 6, 'succeeded', 'manual', '2026-12-05 00:33:29.855327+00', '2026-12-05 00:33:30.108409+00', 40, 0, 2, 0, 0, 0, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (11, 3, 'succeeded', 'manual', '2026-12-05 00:33:30.226188+00', '2026-12-05 00:33:30.265554+00', 40, 0, 2, 0, 0, 0, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (12, 4, 'succeeded', 'manual', '2026-12-05 00:33:30.360015+00', '2026-12-05 00:33:30.393661+00', 40, 0, 0, 0, 0, 0, 0, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);


--
-- Data for Name: syncs; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (1, 'pg_uuid', 1, 4, 'mirror', 'u', NULL, NULL, NULL, 7, false, NULL, '2026-12-05 00:33:24.292041+00', '2026-12-05 00:33:24.292041+00', '{"max_deleted_percent": 100}', 'send_all', NULL, false, NULL, NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (2, 'my_types', 2, 4, 'update_or_create', 'id', NULL, NULL, NULL, 7, false, NULL, '2026-12-05 00:33:24.349575+00', '2026-12-05 00:33:24.349575+00', NULL, 'send_all', NULL, false, NULL, NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (3, 'pg_mapped', 1, 4, 'update_or_create', 'email', '[{"to": "email", "from": "email"}, {"to": "email_hash", "from": "email", "hash": "sha256", "normalize": ["trim", "lowercase"]}, {"to": "name", "from": "name"}, {"to": "score", "from": "score"}, {"to": "tags", "from": "tags"}, {"to": "run", "metadata": "sync_run_id"}, {"to": "src", "constant": "wh"}]', NULL, NULL, 5, false, NULL, '2026-12-05 00:33:24.315434+00', '2026-12-05 00:33:24.315434+00', NULL, 'send_all', NULL, false, NULL, NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (4, 'pg_req', 1, 4, 'update_or_create', 'id', NULL, NULL, NULL, 100, false, NULL, '2026-12-05 00:33:24.351406+00', '2026-12-05 00:33:24.351406+00', NULL, 'send_all', '{"new": {"body": "{\"id\": {{ record.id | json }}, \"name\": {{ record.name | json }}, \"email\": {{ record.email | json }}}", "path": "/contacts", "method": "POST"}, "mode": "record", "changed": {"body": "{\"name\": {{ record.name | json }}, \"email\": {{ record.email | json }}}", "path": "/contacts/{{ record.id }}", "method": "PATCH"}}', false, NULL, NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (5, 'pg_types', 1, 4, 'update_or_create', 'id', NULL, NULL, NULL, 7, false, NULL, '2026-12-05 00:33:24.352492+00', '2026-12-05 00:33:24.352492+00', NULL, 'send_all', NULL, false, NULL, NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (6, 'dk_types', 3, 4, 'update_or_create', 'id', NULL, NULL, NULL, 7, false, NULL, '2026-12-05 00:33:24.716675+00', '2026-12-05 00:33:24.716675+00', NULL, 'send_all', NULL, false, NULL, NULL, NULL);


--
-- Name: connections_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.connections_id_seq', 4, true);


--
-- Name: models_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.models_id_seq', 3, true);


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

SELECT pg_catalog.setval('backflow.sync_deliveries_id_seq', 111, true);


--
-- Name: sync_runs_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.sync_runs_id_seq', 12, true);


--
-- Name: syncs_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.syncs_id_seq', 6, true);


--
-- Name: connection_pacing connection_pacing_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.connection_pacing
    ADD CONSTRAINT connection_pacing_pkey PRIMARY KEY (connection_id);


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
-- Name: sync_after sync_after_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_after
    ADD CONSTRAINT sync_after_pkey PRIMARY KEY (sync_id, parent_id);


--
-- Name: sync_cursors sync_cursors_pkey; Type: CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_cursors
    ADD CONSTRAINT sync_cursors_pkey PRIMARY KEY (sync_id);


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
-- Name: sync_after_parent_id; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX sync_after_parent_id ON backflow.sync_after USING btree (parent_id);


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
-- Name: sync_runs_job_id; Type: INDEX; Schema: backflow; Owner: -
--

CREATE INDEX sync_runs_job_id ON backflow.sync_runs USING btree (job_id) WHERE (job_id IS NOT NULL);


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
-- Name: connection_pacing connection_pacing_connection_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.connection_pacing
    ADD CONSTRAINT connection_pacing_connection_id_fkey FOREIGN KEY (connection_id) REFERENCES backflow.connections(id) ON DELETE CASCADE;


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
-- Name: sync_after sync_after_parent_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_after
    ADD CONSTRAINT sync_after_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES backflow.syncs(id) ON DELETE CASCADE;


--
-- Name: sync_after sync_after_sync_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_after
    ADD CONSTRAINT sync_after_sync_id_fkey FOREIGN KEY (sync_id) REFERENCES backflow.syncs(id) ON DELETE CASCADE;


--
-- Name: sync_cursors sync_cursors_sync_id_fkey; Type: FK CONSTRAINT; Schema: backflow; Owner: -
--

ALTER TABLE ONLY backflow.sync_cursors
    ADD CONSTRAINT sync_cursors_sync_id_fkey FOREIGN KEY (sync_id) REFERENCES backflow.syncs(id) ON DELETE CASCADE;


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


