-- A control plane written by Backflow at schema version 16 (commit 50df0d8): its provider created
-- the models of more-types-postgres.sql, more-types-mysql.sql (MariaDB) and a DuckDB query (in
-- the model below) and the syncs of TestUpgradeMoreTypesFromVersion16, its runner ran each sync
-- twice (the second sent nothing), then pg_dump --inserts dumped it. Secrets are sealed with the
-- key upgradeKey of upgrade_test.go.
-- (schema-v16-pre.sql before this, schema-v16-post.sql after)

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


