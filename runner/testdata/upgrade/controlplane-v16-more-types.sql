-- A control plane written by Backflow at schema version 16 (commit 50df0d8): its provider created
-- the models of more-types-postgres.sql, more-types-mysql.sql (MariaDB) and a DuckDB query (in
-- the model below) and the syncs of TestUpgradeMoreTypesFromVersion16, its runner ran each sync
-- twice (the second sent nothing), then pg_dump --inserts dumped it. Secrets are sealed with the
-- key upgradeKey of upgrade_test.go.
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

INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (1, 'postgres', 'postgres', '{}', '\x10c4663212ac2bc8819cccbd79a2d38c8b58874d53244dff4fb48c19ce455cbedf0f05a7d525aabd13aa2532884edb227de9f26b43ffb7cd000db4bfdd6ed0e0579773f5deb2f7b88eebd2aac47f629c56821822897afba8269de7b5b38e9e121143', '2026-12-05 00:36:28.234016+00', '2026-12-05 00:36:28.234016+00');
INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (2, 'hook', 'webhook', '{"method": "POST", "test_on_save": true}', '\xc544022c1eead32bba6969e38373ba02ae035a92bca5b8ac7b512d2e37ef2171b6a6672f3dd53e8bace09f4ee00b540d7a7943a8cfeb3f45072daa411dcb997777', '2026-12-05 00:36:28.242063+00', '2026-12-05 00:36:28.242063+00');
INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (3, 'mysql', 'mysql', '{}', '\xfabb3d6e457d8883a934e8441ba1394a0d54464f019b1419b94d58d3004e0ee53684f12ccc5a075f5d808da88a35a5b9db1d7890068af5a91debbddeb8c0320267d813016c8437febefe85', '2026-12-05 00:36:28.247581+00', '2026-12-05 00:36:28.247581+00');
INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (4, 'duckdb', 'duckdb', '{}', '\x640eb9005bf99025d094618c62f48c8f8507d9f7394e9e91b70496ddb93ba5fb4457599288091baa916a12c1cacf', '2026-12-05 00:36:28.257182+00', '2026-12-05 00:36:28.257182+00');


--
-- Data for Name: models; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.models OVERRIDING SYSTEM VALUE VALUES (1, 'pg x', 1, NULL, 'public.t', '[{"name": "id", "type": "int4"}, {"name": "n", "type": "numeric"}, {"name": "f8", "type": "float8"}, {"name": "f4", "type": "float4"}, {"name": "fspecial", "type": "float8"}, {"name": "tz", "type": "timestamptz"}, {"name": "ts", "type": "timestamp"}, {"name": "bc", "type": "date"}, {"name": "ch", "type": "bpchar"}, {"name": "js", "type": "json"}, {"name": "jb", "type": "jsonb"}, {"name": "ai", "type": "_int8"}, {"name": "at", "type": "_text"}, {"name": "atz", "type": "_timestamptz"}, {"name": "by", "type": "bytea"}, {"name": "iv", "type": "interval"}, {"name": "ttz", "type": "timetz"}, {"name": "t", "type": "time"}, {"name": "rng", "type": "tstzrange"}, {"name": "ip", "type": "inet"}, {"name": "mac", "type": "macaddr"}, {"name": "bits", "type": "bit"}, {"name": "tsv", "type": "tsvector"}, {"name": "pt", "type": "point"}, {"name": "bo", "type": "bool"}, {"name": "i2", "type": "int2"}, {"name": "i8", "type": "int8"}, {"name": "u", "type": "uuid"}, {"name": "tx", "type": "text"}]', '2026-12-05 00:36:28.437949+00', '2026-12-05 00:36:28.437949+00');
INSERT INTO backflow.models OVERRIDING SYSTEM VALUE VALUES (2, 'my x', 3, NULL, 't', '[{"name": "id", "type": "int"}, {"name": "c", "type": "char"}, {"name": "e", "type": "enum"}, {"name": "s", "type": "set"}, {"name": "b", "type": "bit"}, {"name": "y", "type": "year"}, {"name": "tm", "type": "time"}, {"name": "d", "type": "decimal"}, {"name": "ub", "type": "unsigned bigint"}, {"name": "si", "type": "smallint"}, {"name": "tx", "type": "text"}, {"name": "j", "type": "json"}, {"name": "dt", "type": "datetime"}, {"name": "ts", "type": "timestamp"}, {"name": "f", "type": "float"}, {"name": "db", "type": "double"}, {"name": "bl", "type": "blob"}, {"name": "vb", "type": "varbinary"}, {"name": "bo", "type": "tinyint(1)"}, {"name": "dte", "type": "date"}]', '2026-12-05 00:36:28.500802+00', '2026-12-05 00:36:28.500802+00');
INSERT INTO backflow.models OVERRIDING SYSTEM VALUE VALUES (3, 'dk x', 4, 'select i::INTEGER as id, i::HUGEINT * 100000000000000000000 as h, (18446744073709551615 - i)::UBIGINT as ub, (i / 7)::DECIMAL(30,10) as d,
  (i / 7)::FLOAT as f4, (i / 7)::DOUBLE as f8, [i, i + 1] as l, {''a'': i, ''b'': ''x'', ''c'': [1.5, 2.0]} as st, map([''k'', ''j''], [i, 2]) as mp,
  ''2024-03-10 01:02:03.456789+00''::TIMESTAMPTZ + to_hours(i) as tz, ''2024-03-10 01:02:03.123456789''::TIMESTAMP_NS as tns,
  ''2024-03-10''::DATE as dt, ''12:34:56.5''::TIME as t, to_months(i) + to_days(2) as iv, ''\xDE\xAD''::BLOB as bl,
  uuid_extract_version(''a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11''::UUID) as uv, ''a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11''::UUID as u,
  [(''2024-01-01 00:00:00+00''::TIMESTAMPTZ)] as ltz, {''t'': ''2024-01-01 00:00:00+00''::TIMESTAMPTZ, ''f'': 0.1::FLOAT} as stz,
  ''emoji 😀 é'' as tx, (i % 2 = 0) as bo, ''{"a": [1, 2.50]}''::JSON as js, ''inf''::DOUBLE as finf
from range(1, 13) r(i)
', NULL, '[{"name": "id", "type": "integer"}, {"name": "h", "type": "hugeint"}, {"name": "ub", "type": "ubigint"}, {"name": "d", "type": "decimal(30,10)"}, {"name": "f4", "type": "float"}, {"name": "f8", "type": "double"}, {"name": "l", "type": "bigint[]"}, {"name": "st", "type": "struct(\"a\" bigint, \"b\" varchar, \"c\" decimal(2,1)[])"}, {"name": "mp", "type": "map(varchar, bigint)"}, {"name": "tz", "type": "timestamptz"}, {"name": "tns", "type": "timestamp_ns"}, {"name": "dt", "type": "date"}, {"name": "t", "type": "time"}, {"name": "iv", "type": "interval"}, {"name": "bl", "type": "blob"}, {"name": "uv", "type": "uinteger"}, {"name": "u", "type": "uuid"}, {"name": "ltz", "type": "timestamptz[]"}, {"name": "stz", "type": "struct(\"t\" timestamptz, \"f\" float)"}, {"name": "tx", "type": "varchar"}, {"name": "bo", "type": "boolean"}, {"name": "js", "type": "json"}, {"name": "finf", "type": "double"}]', '2026-12-05 00:36:28.748763+00', '2026-12-05 00:36:28.748763+00');


--
-- Data for Name: notification_events; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: notifications; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: rejected_records; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_job; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_leader; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_migration; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.river_migration VALUES ('main', 1, '2026-12-05 00:36:27.57993+00');
INSERT INTO backflow.river_migration VALUES ('main', 2, '2026-12-05 00:36:27.602829+00');
INSERT INTO backflow.river_migration VALUES ('main', 3, '2026-12-05 00:36:27.660514+00');
INSERT INTO backflow.river_migration VALUES ('main', 4, '2026-12-05 00:36:27.665071+00');
INSERT INTO backflow.river_migration VALUES ('main', 5, '2026-12-05 00:36:27.698956+00');
INSERT INTO backflow.river_migration VALUES ('main', 6, '2026-12-05 00:36:27.939228+00');
INSERT INTO backflow.river_migration VALUES ('main', 7, '2026-12-05 00:36:27.952399+00');
INSERT INTO backflow.river_migration VALUES ('main', 8, '2026-12-05 00:36:27.988971+00');


--
-- Data for Name: river_notification; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_queue; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.schema_migrations VALUES (1, 'initial', '2026-12-05 00:36:27.428417+00');
INSERT INTO backflow.schema_migrations VALUES (2, 'ledger_pages', '2026-12-05 00:36:27.495498+00');
INSERT INTO backflow.schema_migrations VALUES (3, 'fences_and_intents', '2026-12-05 00:36:27.500352+00');
INSERT INTO backflow.schema_migrations VALUES (4, 'warehouse_kinds', '2026-12-05 00:36:27.506369+00');
INSERT INTO backflow.schema_migrations VALUES (5, 'delivery_log', '2026-12-05 00:36:27.507892+00');
INSERT INTO backflow.schema_migrations VALUES (6, 'sync_guards', '2026-12-05 00:36:27.516318+00');
INSERT INTO backflow.schema_migrations VALUES (7, 'notifications', '2026-12-05 00:36:27.520201+00');
INSERT INTO backflow.schema_migrations VALUES (8, 'backfill_policy', '2026-12-05 00:36:27.532183+00');
INSERT INTO backflow.schema_migrations VALUES (9, 'run_schedule_slot', '2026-12-05 00:36:27.533642+00');
INSERT INTO backflow.schema_migrations VALUES (10, 'intents_lz4', '2026-12-05 00:36:27.534217+00');
INSERT INTO backflow.schema_migrations VALUES (11, 'sync_requests', '2026-12-05 00:36:27.535965+00');
INSERT INTO backflow.schema_migrations VALUES (12, 'send_nulls', '2026-12-05 00:36:27.536995+00');
INSERT INTO backflow.schema_migrations VALUES (13, 'connection_pacing', '2026-12-05 00:36:27.538131+00');
INSERT INTO backflow.schema_migrations VALUES (14, 'sync_cursors', '2026-12-05 00:36:27.54207+00');
INSERT INTO backflow.schema_migrations VALUES (15, 'sequences_and_triggers', '2026-12-05 00:36:27.546292+00');
INSERT INTO backflow.schema_migrations VALUES (16, 'notification_templates', '2026-12-05 00:36:27.559855+00');


--
-- Data for Name: sync_after; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: sync_cursors; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: sync_deliveries; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (1, 1, 1, 'msg_ba4093e45efda4a922c10d96', 'changed', 12, '1', '9', '2026-12-05 00:36:29.048006+00', 1, 200, 2006, NULL, NULL, '\x013102313002313102313201320133013401350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (2, 2, 2, 'msg_9f484634da9b50f0e314c692', 'changed', 12, '1', '9', '2026-12-05 00:36:29.195148+00', 1, 200, 2602, NULL, NULL, '\x013102313002313102313201320133013401350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (3, 3, 3, 'msg_d026aa069542e43f702f28fa', 'changed', 12, '1', '9', '2026-12-05 00:36:29.501854+00', 1, 200, 2302, NULL, NULL, '\x013102313002313102313201320133013401350136013701380139');


--
-- Data for Name: sync_fences; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_fences VALUES (1, 2);
INSERT INTO backflow.sync_fences VALUES (2, 2);
INSERT INTO backflow.sync_fences VALUES (3, 2);


--
-- Data for Name: sync_intents; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: sync_ledger; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: sync_ledger_pages; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_ledger_pages VALUES (1, '1', '9', '\x0131a9eaf2bff935b6c95c264a6a44f3f6cb0231306915da5d6365945e865a412835765c98023131931bc927fb1ae95ea23e000a2b0ae3710231321b48804c4bc5f1aefa06e1eacb251bb901323239aae9ee79f3131eaa3d0e11122b320133ca448e3fe0b7ca62f9d864516ebd976b0134a4493566472f719a44fb9bbbd983a9a80135b92b5eabdaba3b2a707e850abb6fcf2501369a28c5b8e684a66bda208654341de87901379dc0be03099bd79dca70df37b5af159101388e949195d34b255b09527dff6c9cb78a0139bcb59d0fa93b0282240a641295a23d51');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '1', '9', '\x0131a4611eb54f5e8b68cbe8fea89bc71b3e023130656a32748ae20268e638e035c1c4a84702313118d2820e2ccf9e50acacf1b0b85434680231323abc9c940a9243e9057cb67f1d7bed1d0132cf3bcd9afde313212ee446816edb54cd01337e6ad791624ed3534f75c33ae33d2a0801348ad386cc7991a72d07cc1cfc0802951c013541d90ac6f6ba07e2affdff97c8c10c0d01361ca165b9d5f8c4066ee35d945d5c86de0137ecce2b0c532ac6ed8cf1ee050e79e34a01388cde87aeb2c405f89f77e28e1e0ab3b00139656ad0277650c3cc9ec482f1153dfafe');
INSERT INTO backflow.sync_ledger_pages VALUES (3, '1', '9', '\x0131566676a2c8fd4f4960dd284f593b6c6d02313098acd63943e6a6b4d8e1edc05bb969a70231318dd99149386844a3d4e36fd2413d6065023132a537b1ef67734fc154b80cd955431f6b01328483f6ccfe2599a9fb761d7617f42bc10133bf159f733f62dde0edbaa47fe9391fdf0134c8777ce5ce2d6b6603eadd898de3e7d60135adcd074ea7d87ae0712b4b0d1242788b01368d87a1a74106759bf6d597c07d57f5810137114bfe536ae08960722072d7843596050138791483f41328639290b59f3ff132c7e60139c894cdd555731b171e352cf5b371cf68');


--
-- Data for Name: sync_runs; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (1, 1, 'succeeded', 'manual', '2026-12-05 00:36:29.007627+00', '2026-12-05 00:36:29.0596+00', 12, 0, 12, 0, 0, 12, 0, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (2, 2, 'succeeded', 'manual', '2026-12-05 00:36:29.14516+00', '2026-12-05 00:36:29.208253+00', 12, 0, 12, 0, 0, 12, 0, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (3, 3, 'succeeded', 'manual', '2026-12-05 00:36:29.315204+00', '2026-12-05 00:36:29.537805+00', 12, 0, 12, 0, 0, 12, 0, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (4, 1, 'succeeded', 'manual', '2026-12-05 00:36:29.620247+00', '2026-12-05 00:36:29.637515+00', 12, 0, 0, 0, 0, 0, 0, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (5, 2, 'succeeded', 'manual', '2026-12-05 00:36:29.715201+00', '2026-12-05 00:36:29.73615+00', 12, 0, 0, 0, 0, 0, 0, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (6, 3, 'succeeded', 'manual', '2026-12-05 00:36:29.832238+00', '2026-12-05 00:36:30.067518+00', 12, 0, 0, 0, 0, 0, 0, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);


--
-- Data for Name: syncs; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (1, 'pg_x', 1, 2, 'update_or_create', 'id', NULL, NULL, NULL, 100, false, NULL, '2026-12-05 00:36:28.620154+00', '2026-12-05 00:36:28.620154+00', NULL, 'send_all', NULL, false, NULL, NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (2, 'my_x', 2, 2, 'update_or_create', 'id', NULL, NULL, NULL, 100, false, NULL, '2026-12-05 00:36:28.681601+00', '2026-12-05 00:36:28.681601+00', NULL, 'send_all', NULL, false, NULL, NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (3, 'dk_x', 3, 2, 'update_or_create', 'id', NULL, NULL, NULL, 100, false, NULL, '2026-12-05 00:36:28.898184+00', '2026-12-05 00:36:28.898184+00', NULL, 'send_all', NULL, false, NULL, NULL, NULL);


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

SELECT pg_catalog.setval('backflow.sync_deliveries_id_seq', 3, true);


--
-- Name: sync_runs_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.sync_runs_id_seq', 6, true);


--
-- Name: syncs_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.syncs_id_seq', 3, true);


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


