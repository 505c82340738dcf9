-- A control plane written by Backflow at schema version 16 (commit 50df0d8): its provider created
-- a MariaDB model of types-mysql.sql and a DuckDB model of testdata/upgrade/cursors.csv (a path
-- relative to the runner's directory) with a cursor sync each (TestUpgradeCursorsFromVersion16),
-- its runner ran each in full, then, user 2 changed, incrementally (their marks: 2026-11-05
-- 00:00:02), then pg_dump --inserts dumped it. cursors.csv is the DuckDB model's rows since:
-- user 3 changed too. Secrets are sealed with the key upgradeKey of upgrade_test.go.
-- (schema-v16-pre.sql before this, schema-v16-post.sql after)

--
-- Data for Name: connection_pacing; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: connections; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (1, 'mysql', 'mysql', '{}', '\xc324db1f98d9171e18af51ba332c74327275a1cab321aaa0dc47b9276d3367319e92f56d33150e643719be9d25d7e5b5a6d0fee13b0aaf87f9f18657536204b1dfc40ed9bfeaeb7d9e1d', '2026-12-05 00:40:54.194239+00', '2026-12-05 00:40:54.194239+00');
INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (2, 'hook', 'webhook', '{"method": "POST", "test_on_save": true}', '\x13e411b39c80ec6c0f4f9daa76a1a67b7e62e3bd21bb103c550c3aa5d9befe02f64ad57dc2d068ade2226733e85a2bafee90e4bd09ac41df58ecd727ec6a44fd37', '2026-12-05 00:40:54.197422+00', '2026-12-05 00:40:54.197422+00');
INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (3, 'duckdb', 'duckdb', '{}', '\x99e85593c317b9d0045540a91115c1c8422f832f0926d3b07f1c1be538cc441de18809ed903b5678e95bf85235e1', '2026-12-05 00:40:54.198524+00', '2026-12-05 00:40:54.198524+00');


--
-- Data for Name: models; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.models OVERRIDING SYSTEM VALUE VALUES (1, 'my users', 1, NULL, 'users', '[{"name": "id", "type": "int"}, {"name": "email", "type": "varchar"}, {"name": "name", "type": "varchar"}, {"name": "score", "type": "decimal"}, {"name": "ratio", "type": "double"}, {"name": "r4", "type": "float"}, {"name": "flag", "type": "tinyint(1)"}, {"name": "born", "type": "date"}, {"name": "seen_at", "type": "datetime"}, {"name": "updated_at", "type": "timestamp"}, {"name": "tags", "type": "json"}, {"name": "bin", "type": "varbinary"}]', '2026-12-05 00:40:54.250496+00', '2026-12-05 00:40:54.250496+00');
INSERT INTO backflow.models OVERRIDING SYSTEM VALUE VALUES (2, 'dk users', 3, 'select * from read_csv(''testdata/upgrade/cursors.csv'', header=true, columns={''id'':''INTEGER'',''email'':''VARCHAR'',''name'':''VARCHAR'',''score'':''DECIMAL(10,2)'',''ratio'':''DOUBLE'',''flag'':''BOOLEAN'',''born'':''DATE'',''seen_at'':''TIMESTAMP'',''updated_at'':''TIMESTAMPTZ''})', NULL, '[{"name": "id", "type": "integer"}, {"name": "email", "type": "varchar"}, {"name": "name", "type": "varchar"}, {"name": "score", "type": "decimal(10,2)"}, {"name": "ratio", "type": "double"}, {"name": "flag", "type": "boolean"}, {"name": "born", "type": "date"}, {"name": "seen_at", "type": "timestamp"}, {"name": "updated_at", "type": "timestamptz"}]', '2026-12-05 00:40:54.500975+00', '2026-12-05 00:41:44.757603+00');


--
-- Data for Name: notification_events; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: notifications; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: rejected_records; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.rejected_records VALUES (1, '5', 3, 422, '{"error":"rejected"}', '2026-12-05 00:40:55.225155+00');
INSERT INTO backflow.rejected_records VALUES (1, '6', 3, 422, '{"error":"rejected"}', '2026-12-05 00:40:55.225155+00');
INSERT INTO backflow.rejected_records VALUES (2, '5', 8, 422, '{"error":"rejected"}', '2026-12-05 00:41:45.120717+00');
INSERT INTO backflow.rejected_records VALUES (2, '6', 8, 422, '{"error":"rejected"}', '2026-12-05 00:41:45.120717+00');


--
-- Data for Name: river_job; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_leader; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_migration; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.river_migration VALUES ('main', 1, '2026-12-05 00:40:53.884147+00');
INSERT INTO backflow.river_migration VALUES ('main', 2, '2026-12-05 00:40:53.89353+00');
INSERT INTO backflow.river_migration VALUES ('main', 3, '2026-12-05 00:40:53.918212+00');
INSERT INTO backflow.river_migration VALUES ('main', 4, '2026-12-05 00:40:53.920039+00');
INSERT INTO backflow.river_migration VALUES ('main', 5, '2026-12-05 00:40:53.928567+00');
INSERT INTO backflow.river_migration VALUES ('main', 6, '2026-12-05 00:40:53.956384+00');
INSERT INTO backflow.river_migration VALUES ('main', 7, '2026-12-05 00:40:53.961391+00');
INSERT INTO backflow.river_migration VALUES ('main', 8, '2026-12-05 00:40:53.975193+00');


--
-- Data for Name: river_notification; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_queue; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.schema_migrations VALUES (1, 'initial', '2026-12-05 00:40:53.745922+00');
INSERT INTO backflow.schema_migrations VALUES (2, 'ledger_pages', '2026-12-05 00:40:53.795507+00');
INSERT INTO backflow.schema_migrations VALUES (3, 'fences_and_intents', '2026-12-05 00:40:53.801204+00');
INSERT INTO backflow.schema_migrations VALUES (4, 'warehouse_kinds', '2026-12-05 00:40:53.809298+00');
INSERT INTO backflow.schema_migrations VALUES (5, 'delivery_log', '2026-12-05 00:40:53.810632+00');
INSERT INTO backflow.schema_migrations VALUES (6, 'sync_guards', '2026-12-05 00:40:53.823615+00');
INSERT INTO backflow.schema_migrations VALUES (7, 'notifications', '2026-12-05 00:40:53.825036+00');
INSERT INTO backflow.schema_migrations VALUES (8, 'backfill_policy', '2026-12-05 00:40:53.844798+00');
INSERT INTO backflow.schema_migrations VALUES (9, 'run_schedule_slot', '2026-12-05 00:40:53.846733+00');
INSERT INTO backflow.schema_migrations VALUES (10, 'intents_lz4', '2026-12-05 00:40:53.847426+00');
INSERT INTO backflow.schema_migrations VALUES (11, 'sync_requests', '2026-12-05 00:40:53.849875+00');
INSERT INTO backflow.schema_migrations VALUES (12, 'send_nulls', '2026-12-05 00:40:53.850588+00');
INSERT INTO backflow.schema_migrations VALUES (13, 'connection_pacing', '2026-12-05 00:40:53.852114+00');
INSERT INTO backflow.schema_migrations VALUES (14, 'sync_cursors', '2026-12-05 00:40:53.856355+00');
INSERT INTO backflow.schema_migrations VALUES (15, 'sequences_and_triggers', '2026-12-05 00:40:53.862616+00');
INSERT INTO backflow.schema_migrations VALUES (16, 'notification_templates', '2026-12-05 00:40:53.871418+00');


--
-- Data for Name: sync_after; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: sync_cursors; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_cursors VALUES (1, '7b0bf95a4af25b36f2b84eebd674a1c9', '2026-11-05 00:00:02.000', '2026-12-05 00:40:54.78823+00', 42);
INSERT INTO backflow.sync_cursors VALUES (2, '112bd59da4f8e99607f9b7747a33d42c', '2026-11-05 00:00:02', '2026-12-05 00:41:44.822536+00', 42);


--
-- Data for Name: sync_deliveries; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (1, 1, 1, 'msg_9f2c46807ec9cdcda8958ec8', 'changed', 40, '1', '9', '2026-12-05 00:40:54.810668+00', 1, 422, 2811, '{"error":"rejected"}', NULL, '\x013102313002313102313202313302313402313502313602313702313802313901320232300232310232320232330232340232350232360232370232380232390133023330023331023332023333023334023335023336023337023338023339013402343001350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (2, 1, 1, 'msg_0692eb225e4a63572a859214', 'changed', 20, '1', '27', '2026-12-05 00:40:54.814338+00', 1, 200, 1849, NULL, NULL, '\x01310231300231310231320231330231340231350231360231370231380231390132023230023231023232023233023234023235023236023237');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (3, 1, 1, 'msg_2d372a0b987c230ec7e7d345', 'changed', 20, '28', '9', '2026-12-05 00:40:54.816486+00', 1, 422, 1620, '{"error":"rejected"}', NULL, '\x0232380232390133023330023331023332023333023334023335023336023337023338023339013402343001350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (4, 1, 1, 'msg_c459bf70f8656daaf0a42b81', 'changed', 10, '28', '36', '2026-12-05 00:40:54.818533+00', 1, 200, 1453, NULL, NULL, '\x0232380232390133023330023331023332023333023334023335023336');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (5, 1, 1, 'msg_44131969161fc3661db717cf', 'changed', 10, '37', '9', '2026-12-05 00:40:54.82054+00', 1, 422, 1201, '{"error":"rejected"}', NULL, '\x023337023338023339013402343001350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (6, 1, 1, 'msg_91acbdf4711d66a6b398fee4', 'changed', 5, '37', '40', '2026-12-05 00:40:54.822294+00', 1, 200, 1138, NULL, NULL, '\x0233370233380233390134023430');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (7, 1, 1, 'msg_fdb99c91b2e9a05b0973fc4d', 'changed', 5, '5', '9', '2026-12-05 00:40:54.823931+00', 1, 422, 859, '{"error":"rejected"}', NULL, '\x01350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (8, 1, 1, 'msg_b24b41e1eb1e78c7a711f47e', 'changed', 2, '5', '6', '2026-12-05 00:40:54.825188+00', 1, 422, 1182, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (9, 1, 1, 'msg_fad72338deb11bf9f62dc3f0', 'changed', 1, '5', '5', '2026-12-05 00:40:54.826619+00', 1, 422, 942, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (10, 1, 1, 'msg_da9256d37796f4ad2580992a', 'changed', 1, '6', '6', '2026-12-05 00:40:54.828071+00', 1, 422, 853, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (11, 1, 1, 'msg_b6d2d3764be14ae782e297a7', 'changed', 3, '7', '9', '2026-12-05 00:40:54.829404+00', 1, 200, 979, NULL, NULL, '\x013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (12, 2, 2, 'msg_097c1c610f8d7c4b6f8524f7', 'changed', 40, '1', '9', '2026-12-05 00:40:55.071452+00', 1, 422, 2493, '{"error":"rejected"}', NULL, '\x013102313002313102313202313302313402313502313602313702313802313901320232300232310232320232330232340232350232360232370232380232390133023330023331023332023333023334023335023336023337023338023339013402343001350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (13, 2, 2, 'msg_ac4772eb258f560051501263', 'changed', 20, '1', '27', '2026-12-05 00:40:55.074568+00', 1, 200, 1571, NULL, NULL, '\x01310231300231310231320231330231340231350231360231370231380231390132023230023231023232023233023234023235023236023237');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (14, 2, 2, 'msg_84668e65bd470f248bee956b', 'changed', 20, '28', '9', '2026-12-05 00:40:55.07645+00', 1, 422, 1325, '{"error":"rejected"}', NULL, '\x0232380232390133023330023331023332023333023334023335023336023337023338023339013402343001350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (15, 2, 2, 'msg_129a19a254d9d597a523327e', 'changed', 10, '28', '36', '2026-12-05 00:40:55.078129+00', 1, 200, 1208, NULL, NULL, '\x0232380232390133023330023331023332023333023334023335023336');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (16, 2, 2, 'msg_5cb2b1ea48101238f988d6c9', 'changed', 10, '37', '9', '2026-12-05 00:40:55.079636+00', 1, 422, 1127, '{"error":"rejected"}', NULL, '\x023337023338023339013402343001350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (17, 2, 2, 'msg_29c15271059ae167e121e8e7', 'changed', 5, '37', '40', '2026-12-05 00:40:55.081203+00', 1, 200, 1131, NULL, NULL, '\x0233370233380233390134023430');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (18, 2, 2, 'msg_6cae7becfaa22ef2458650c7', 'changed', 5, '5', '9', '2026-12-05 00:40:55.082671+00', 1, 422, 1183, '{"error":"rejected"}', NULL, '\x01350136013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (19, 2, 2, 'msg_0d83aa694c1cd475123b6dfd', 'changed', 2, '5', '6', '2026-12-05 00:40:55.084083+00', 1, 422, 1188, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (20, 2, 2, 'msg_6dde27117abcf20c988a5065', 'changed', 1, '5', '5', '2026-12-05 00:40:55.085507+00', 1, 422, 1168, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (21, 2, 2, 'msg_928fc26234ae921a7d429adc', 'changed', 1, '6', '6', '2026-12-05 00:40:55.086897+00', 1, 422, 969, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (22, 2, 2, 'msg_1fe362b24fcd4f05239ade69', 'changed', 3, '7', '9', '2026-12-05 00:40:55.088094+00', 1, 200, 1044, NULL, NULL, '\x013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (23, 1, 3, 'msg_288ad9adb99c1d4f7881bb46', 'changed', 28, '1', '8', '2026-12-05 00:40:55.204206+00', 1, 422, 2653, '{"error":"rejected"}', NULL, '\x0131023130023131023133023134023136023137023139013202323002323202323302323502323602323802323902333102333202333402333502333702333801340234300135013601370138');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (24, 1, 3, 'msg_89107b56d3eae824ee701216', 'changed', 14, '1', '26', '2026-12-05 00:40:55.207507+00', 1, 200, 2301, NULL, NULL, '\x01310231300231310231330231340231360231370231390132023230023232023233023235023236');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (25, 1, 3, 'msg_daa8670719ea17f6e7cfef5b', 'changed', 14, '28', '8', '2026-12-05 00:40:55.210263+00', 1, 422, 1625, '{"error":"rejected"}', NULL, '\x02323802323902333102333202333402333502333702333801340234300135013601370138');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (26, 1, 3, 'msg_10fa83a2afec05e1d65d459e', 'changed', 7, '28', '37', '2026-12-05 00:40:55.212285+00', 1, 200, 1733, NULL, NULL, '\x023238023239023331023332023334023335023337');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (27, 1, 3, 'msg_fe81b9f2733095a6ce87c9c1', 'changed', 7, '38', '8', '2026-12-05 00:40:55.214404+00', 1, 422, 1440, '{"error":"rejected"}', NULL, '\x02333801340234300135013601370138');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (28, 1, 3, 'msg_d4fb1c91a6f92c2397a3cdb9', 'changed', 3, '38', '40', '2026-12-05 00:40:55.216315+00', 1, 200, 1299, NULL, NULL, '\x0233380134023430');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (29, 1, 3, 'msg_24ae0d87795d29c55feb3295', 'changed', 4, '5', '8', '2026-12-05 00:40:55.217997+00', 1, 422, 1346, '{"error":"rejected"}', NULL, '\x0135013601370138');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (30, 1, 3, 'msg_8caf71051d6eabda7286c05c', 'changed', 2, '5', '6', '2026-12-05 00:40:55.2197+00', 1, 422, 1117, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (31, 1, 3, 'msg_dcb50e3bd9a91f3ea18307c6', 'changed', 1, '5', '5', '2026-12-05 00:40:55.22119+00', 1, 422, 1177, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (32, 1, 3, 'msg_c5819e1339e35d63d17afeb9', 'changed', 1, '6', '6', '2026-12-05 00:40:55.222651+00', 1, 422, 945, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (33, 1, 3, 'msg_22e1236f924387d41ee3b724', 'changed', 2, '7', '8', '2026-12-05 00:40:55.223869+00', 1, 200, 1071, NULL, NULL, '\x01370138');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (34, 2, 4, 'msg_42ff207344a1b99288cb837b', 'changed', 3, '2', '6', '2026-12-05 00:40:55.459824+00', 1, 422, 1576, '{"error":"rejected"}', NULL, '\x013201350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (35, 2, 4, 'msg_18e4b8eb8450c2dc26ae80bd', 'changed', 1, '2', '2', '2026-12-05 00:40:55.461848+00', 1, 200, 1221, NULL, NULL, '\x0132');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (36, 2, 4, 'msg_32e8597383a3102c5b9fe016', 'changed', 2, '5', '6', '2026-12-05 00:40:55.463522+00', 1, 422, 1162, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (37, 2, 4, 'msg_98b616d681877b0e2a4a5a2e', 'changed', 1, '5', '5', '2026-12-05 00:40:55.464962+00', 1, 422, 1036, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (38, 2, 4, 'msg_f824d803a1bb7453a0838422', 'changed', 1, '6', '6', '2026-12-05 00:40:55.466376+00', 1, 422, 823, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (39, 2, 7, 'msg_fd52406dae12f1736ddba6e3', 'changed', 3, '2', '6', '2026-12-05 00:41:44.941834+00', 1, 422, 1356, '{"error":"rejected"}', NULL, '\x013201350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (40, 2, 7, 'msg_98cfb3b6f186e69de2a2cd18', 'changed', 1, '2', '2', '2026-12-05 00:41:44.943598+00', 1, 200, 634, NULL, NULL, '\x0132');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (41, 2, 7, 'msg_bf8611815fdbf2cb9f3af427', 'changed', 2, '5', '6', '2026-12-05 00:41:44.94448+00', 1, 422, 615, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (42, 2, 7, 'msg_72ac9ece6bf6e235b1857c44', 'changed', 1, '5', '5', '2026-12-05 00:41:44.945364+00', 1, 422, 761, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (43, 2, 7, 'msg_941b4ab20b72546349551b61', 'changed', 1, '6', '6', '2026-12-05 00:41:44.946398+00', 1, 422, 807, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (44, 2, 8, 'msg_ded73be227e1e94c21622355', 'changed', 3, '2', '6', '2026-12-05 00:41:45.116213+00', 1, 422, 1216, '{"error":"rejected"}', NULL, '\x013201350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (45, 2, 8, 'msg_35506405b294ab4833f0ca5e', 'changed', 1, '2', '2', '2026-12-05 00:41:45.117718+00', 1, 200, 620, NULL, NULL, '\x0132');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (46, 2, 8, 'msg_2412615f62e9d27aadca4426', 'changed', 2, '5', '6', '2026-12-05 00:41:45.118518+00', 1, 422, 584, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (47, 2, 8, 'msg_a5b31f40da791916f2d4ee3c', 'changed', 1, '5', '5', '2026-12-05 00:41:45.119284+00', 1, 422, 621, '{"error":"rejected"}', NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (48, 2, 8, 'msg_8d73d9b824e11c0b0c99f469', 'changed', 1, '6', '6', '2026-12-05 00:41:45.120062+00', 1, 422, 550, '{"error":"rejected"}', NULL, '\x0136');


--
-- Data for Name: sync_fences; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_fences VALUES (1, 2);
INSERT INTO backflow.sync_fences VALUES (2, 7);


--
-- Data for Name: sync_intents; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: sync_ledger; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_ledger VALUES (1, '1', '\x78823632a1b8692d7ad8a70c0b127196');
INSERT INTO backflow.sync_ledger VALUES (1, '10', '\xc1e9e834e20cc8cc220e6854f5eb4dff');
INSERT INTO backflow.sync_ledger VALUES (1, '11', '\xfa36aea3645be92315b2dca43c0d955e');
INSERT INTO backflow.sync_ledger VALUES (1, '13', '\xa41c9a04128835006f419d61f41fa02c');
INSERT INTO backflow.sync_ledger VALUES (1, '14', '\xc3179d9bb15227fdcf4f73ae7fe1526b');
INSERT INTO backflow.sync_ledger VALUES (1, '16', '\xb8ac7c21a6312bd1f7580dd7457dd223');
INSERT INTO backflow.sync_ledger VALUES (1, '17', '\x11320349a295dcbb580d67f51fc0e73a');
INSERT INTO backflow.sync_ledger VALUES (1, '19', '\x94392617a9d5682e45d7cd9d3fa50486');
INSERT INTO backflow.sync_ledger VALUES (1, '2', '\xc4d7ade0f393cccd1fb077e38678453c');
INSERT INTO backflow.sync_ledger VALUES (1, '20', '\x8869c0fb557b14faeade3966da3b9599');
INSERT INTO backflow.sync_ledger VALUES (1, '22', '\xa79dfd9a75a3a43d923b53aff83c6094');
INSERT INTO backflow.sync_ledger VALUES (1, '23', '\x8997e1ece8ad91a3e273ce5f76762944');
INSERT INTO backflow.sync_ledger VALUES (1, '25', '\x6d90dcb3323cbe7c2d9ef0f979e5fb3a');
INSERT INTO backflow.sync_ledger VALUES (1, '26', '\xdf1aaea4f1435dca5d65440316029df3');
INSERT INTO backflow.sync_ledger VALUES (1, '28', '\x8b03c62e6c0d03b03b4796be27c17bfe');
INSERT INTO backflow.sync_ledger VALUES (1, '29', '\x42b4cb66c5e8339095dbdf01cd5eb807');
INSERT INTO backflow.sync_ledger VALUES (1, '31', '\x4541346ce3d3707c58a6126b56aae751');
INSERT INTO backflow.sync_ledger VALUES (1, '32', '\xdd3f823ef908e50364993b78ae3c172d');
INSERT INTO backflow.sync_ledger VALUES (1, '34', '\x280952a9fd9a2573e34e8bcb0b15e7ea');
INSERT INTO backflow.sync_ledger VALUES (1, '35', '\xfffce7189143c9dfacc62d65467b61a4');
INSERT INTO backflow.sync_ledger VALUES (1, '37', '\x78528a0049e72b58ba994ce5a0e88bc3');
INSERT INTO backflow.sync_ledger VALUES (1, '38', '\x3fd99e282ff2f4028695f35d83232d0d');
INSERT INTO backflow.sync_ledger VALUES (1, '4', '\x02919a6f23e3ce10919d5262af5b1538');
INSERT INTO backflow.sync_ledger VALUES (1, '40', '\xe0ae8a3a00ee6f804986582dfd4d819a');
INSERT INTO backflow.sync_ledger VALUES (1, '7', '\x26d1d134ba89bbfbc3c748f8eb4fc829');
INSERT INTO backflow.sync_ledger VALUES (1, '8', '\xfaccdc71b28f2ad8726cd4366a47cba8');
INSERT INTO backflow.sync_ledger VALUES (2, '2', '\xb4a94e09162009a5e7b626a10358793a');


--
-- Data for Name: sync_ledger_pages; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_ledger_pages VALUES (1, '1', '30', '\x0131b256e26c5868bdc7645e311c2a2b8de40231303ca22540f258492e1d5d594fcef5b89702313190b57098d989b7125ef8f0b5be4480d102313279e93637ac293bfed9d059ee36984a4002313365bf5e54653d54738ba1a3af7c8cc6ee023134c5061c58bfb019aebe16c13fffba55a3023135751df468f9e5ae40a54640dce83ca67a023136da2b67d36090ed9a0077a7d4dff49bba023137a0a3c54f7ccd37a499fa880f68d934ab023138134a09c770f1d2ce3b029be541ca40e50231391daff1105a809b73b039dd5a6743b9de0132159d40e4d489ee570c8f18a28a1eb1ae0232302c5f69ff093cbec924408d19afd76678023231d21db63b27607849394bb402be648e4e023232d2ddd743fb09892cec9c69632bcec2be023233db47487aea7c6302db2e1c7d00595d82023234bb30b78b3de0572f0fdfaea943a4c29202323530cbb51d1948278a3f990fcc12670c04023236df147a53d2a636e0a0edcb75b728f7bb023237c6e095e59ed90a668e2004cf1d96b720023238da629a1463fcef258f9f3ba3bcb0c84a023239544680e2cf823bf2c307648b635822de01335fedac43f82c7b508c0bad532dedbad6023330992c2ab7f88a88a9dc4b3e24a2507027');
INSERT INTO backflow.sync_ledger_pages VALUES (1, '31', '9', '\x0233315ca06b4cf02813789852d11e4a4e162c02333268b9887af3c51e1e04fbe3ccfdbd63ad0233336a1d9c610fbabf7fc8058d5dab40581002333438e87658535ec11265c509b8f9b06c96023335a5db1519b4b8b773b333a803d5e7202b02333662340f59757de734bbf3283f71584f7f023337aff9b6173a7af6e06855666946d59b600233382795cb21fe5b2b2302b5af84ba153be30233391a181f72c6d39a920e1f37d4d40a934501348857a31678bd536311519a577e929dcc023430a473d288f7b644eb269e34f5781ae10601372f58e24d2be3189e925fde8a9dea7cb30138ee8fffe1215d354f1e19cb4d1c44873d0139fd0097e06cd86230c1369677ea26ed28');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '1', '30', '\x01310a1a6cde35e556840e845870ce687ff602313042faea6a5258928aabbf06aec8a6e03e023131a94578aeb43bfbfe67448721b089296c0231323c9fcb92b7b85734d0b0e18c1b34866e023133f79b2ef1f0489fcf088d972c709d05e10231345ae07a8d645dd53a50fa650caf40c077023135ab05d938a5cafb89540aa3f5e8b9dbdf0231362d36a0714db94813e6b2ad96adea18bb023137ca88116cf4543bb9936e99e79c26a25c023138404fcb72d1b7f25e81c9742c2e66e5790231399da0d03dff2f141fa02ca8323adbbe060132ac10c929116dca79962711b7e7055935023230fa8031350373ec8daa50295002f60318023231ac2852c0035406fe30ff6c2528e7858b023232d51fc971d85ae176fb892b48a6e281720232335cb300e1b94e570520bdc2b292ba270a023234a6e386bf2ee60bd452145461f64743760232353e235124450e4248bc3c4db850883872023236ed1a3607514b53607193b49be44d64ba023237c27d0fbe39b04b542563c8f4c0dd4d380232387f17a682d4dc45de95d221d1e40411960232391d059bdb2cf1ff12db097ceb208323b601333e3103f89d2759e94f78343b379a03150233308270bac8070d46cc0f5d6ceb372e75c4');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '31', '9', '\x023331583a4f5ffff80aa8abffc357b4aba8990233326ff18b059644dab5cde259203eba30a2023333193c39a299f00bc28c4157550ce4a91f02333420fa7b11018b9c58ec886493d89b44fe023335db073f14422fdc04816d02a62198aba302333628d62eb46f157fcee2bcc964c2ad9775023337f9b37287cd6c5e73f230a527aca90b7c02333872463beae9f218e1e6576b28fdb3cf990233394ac9d18df74a3f79dfd96b553b7c2e3a0134bbab4da401f3028b25b1ca0d15752220023430992c5bd0a65f76d6321c9d9b7e743bac0137c5d86d8d89393ea5e4ab9712e815f89b013825c7bae34151c02d9e49097a2a16be1201392b85d954256b12f9702efdd1f744db87');


--
-- Data for Name: sync_runs; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (1, 1, 'succeeded', 'manual', '2026-12-05 00:40:54.78823+00', '2026-12-05 00:40:54.838825+00', 40, 0, 40, 0, 0, 38, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, 'full', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (2, 2, 'succeeded', 'manual', '2026-12-05 00:40:54.898981+00', '2026-12-05 00:40:55.102579+00', 40, 0, 40, 0, 0, 38, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, 'full', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (3, 1, 'succeeded', 'manual', '2026-12-05 00:40:55.181611+00', '2026-12-05 00:40:55.229949+00', 40, 0, 2, 26, 0, 26, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, 'incremental', '2026-10-31 23:55:40', NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (4, 2, 'succeeded', 'manual', '2026-12-05 00:40:55.302016+00', '2026-12-05 00:40:55.477491+00', 40, 0, 2, 1, 0, 1, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, 'incremental', '2026-10-31 23:55:40', NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (5, 2, 'succeeded', 'manual', '2026-12-05 00:41:30.949667+00', '2026-12-05 00:41:31.065584+00', 0, 0, 0, 0, 0, 0, 0, 0, '[]', NULL, NULL, NULL, NULL, 4, 'incremental', '2026-11-04 23:55:02', NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (6, 2, 'succeeded', 'manual', '2026-12-05 00:41:31.128206+00', '2026-12-05 00:41:31.258058+00', 1, 0, 0, 0, 0, 0, 0, 0, '[]', NULL, NULL, NULL, NULL, 4, 'incremental', '2026-11-04 23:55:02', NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (7, 2, 'succeeded', 'manual', '2026-12-05 00:41:44.822536+00', '2026-12-05 00:41:44.958234+00', 40, 0, 2, 1, 0, 1, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, 'full', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (8, 2, 'succeeded', 'manual', '2026-12-05 00:41:45.011279+00', '2026-12-05 00:41:45.128264+00', 40, 0, 2, 1, 0, 1, 2, 0, '[]', NULL, NULL, NULL, NULL, 4, 'incremental', '2026-10-31 23:55:40', NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (9, 2, 'succeeded', 'manual', '2026-12-05 00:41:45.180652+00', '2026-12-05 00:41:45.302963+00', 1, 0, 0, 0, 0, 0, 0, 0, '[]', NULL, NULL, NULL, NULL, 4, 'incremental', '2026-11-04 23:55:02', NULL, NULL);


--
-- Data for Name: syncs; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (1, 'my_cur', 1, 2, 'update_or_create', 'id', NULL, NULL, NULL, 100, false, NULL, '2026-12-05 00:40:54.300459+00', '2026-12-05 00:40:54.300459+00', NULL, 'send_all', NULL, false, 'updated_at', NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (2, 'dk_cur', 2, 2, 'mirror', 'id', NULL, NULL, NULL, 100, false, NULL, '2026-12-05 00:40:54.653095+00', '2026-12-05 00:40:54.653095+00', '{"max_deleted_percent": 100}', 'send_all', NULL, false, 'updated_at', NULL, NULL);


--
-- Name: connections_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.connections_id_seq', 3, true);


--
-- Name: models_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.models_id_seq', 2, true);


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

SELECT pg_catalog.setval('backflow.sync_deliveries_id_seq', 48, true);


--
-- Name: sync_runs_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.sync_runs_id_seq', 9, true);


--
-- Name: syncs_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.syncs_id_seq', 2, true);


