-- The schema part of the pg_dump of a control plane at version 16 (before its data), the same
-- in every controlplane-v16*.sql fixture: restoreUpgrade (upgrade_test.go) puts it before them.
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


