-- A control plane written by Backflow at schema version 16 (commit 50df0d8, the release before
-- migrations 017, 018 and 019): its provider created the connections, model and syncs of
-- upgrade_test.go, its runner ran them, then pg_dump --inserts dumped it. Secrets are sealed with
-- the key upgradeKey of upgrade_test.go. What is in it: see TestUpgradeFromVersion16.
-- (schema-v16-pre.sql before this, schema-v16-post.sql after)

--
-- Data for Name: connection_pacing; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: connections; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (1, 'warehouse', 'postgres', '{}', '\x1670226406f9e6b615a274441e8a98ab67853da67714be6047e1f245227145d53d27047d0504f4391fa73e210461da9930d17edb0c6cf957477ee65c3e948fa28db4130cf4c88e73924f8f4826c5de30b5137c9ec99b4ce017fa21734a30c8db49b0', '2026-12-05 00:23:56.871918+00', '2026-12-05 00:23:56.871918+00');
INSERT INTO backflow.connections OVERRIDING SYSTEM VALUE VALUES (2, 'hook', 'webhook', '{"method": "POST", "test_on_save": true}', '\xa5e66aa5dfa99fee410cbc1a211902762e095403af892787ee93e470c421b550e79c44def943108f36ac69f58f77f3508bd817f8d83caf8e2bd38ca95093c82102', '2026-12-05 00:23:56.881399+00', '2026-12-05 00:23:56.881399+00');


--
-- Data for Name: models; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.models OVERRIDING SYSTEM VALUE VALUES (1, 'users', 1, NULL, 'public.users', '[{"name": "id", "type": "int4"}, {"name": "email", "type": "text"}, {"name": "name", "type": "text"}, {"name": "score", "type": "numeric"}, {"name": "updated_at", "type": "timestamptz"}, {"name": "tags", "type": "jsonb"}, {"name": "seen", "type": "timestamp"}]', '2026-12-05 00:23:56.913497+00', '2026-12-05 00:23:56.913497+00');


--
-- Data for Name: notification_events; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: notifications; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: rejected_records; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.rejected_records VALUES (5, '6', 4, 422, '{"error":"rejected"}', '2026-12-05 00:24:03.705472+00');
INSERT INTO backflow.rejected_records VALUES (4, '6', 5, 422, '{"error":"rejected"}', '2026-12-05 00:24:03.781459+00');
INSERT INTO backflow.rejected_records VALUES (2, '6', 6, 422, '{"error":"rejected"}', '2026-12-05 00:24:04.015753+00');
INSERT INTO backflow.rejected_records VALUES (1, 'rej6@example.com', 7, 422, '{"error":"rejected"}', '2026-12-05 00:24:04.103286+00');
INSERT INTO backflow.rejected_records VALUES (3, 'rej6@example.com', 8, 422, '{"error":"rejected"}', '2026-12-05 00:24:04.183517+00');


--
-- Data for Name: river_job; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_leader; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_migration; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.river_migration VALUES ('main', 1, '2026-12-05 00:23:56.632436+00');
INSERT INTO backflow.river_migration VALUES ('main', 2, '2026-12-05 00:23:56.639954+00');
INSERT INTO backflow.river_migration VALUES ('main', 3, '2026-12-05 00:23:56.660829+00');
INSERT INTO backflow.river_migration VALUES ('main', 4, '2026-12-05 00:23:56.662033+00');
INSERT INTO backflow.river_migration VALUES ('main', 5, '2026-12-05 00:23:56.668809+00');
INSERT INTO backflow.river_migration VALUES ('main', 6, '2026-12-05 00:23:56.688753+00');
INSERT INTO backflow.river_migration VALUES ('main', 7, '2026-12-05 00:23:56.691722+00');
INSERT INTO backflow.river_migration VALUES ('main', 8, '2026-12-05 00:23:56.701762+00');


--
-- Data for Name: river_notification; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: river_queue; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.schema_migrations VALUES (1, 'initial', '2026-12-05 00:23:56.440569+00');
INSERT INTO backflow.schema_migrations VALUES (2, 'ledger_pages', '2026-12-05 00:23:56.529757+00');
INSERT INTO backflow.schema_migrations VALUES (3, 'fences_and_intents', '2026-12-05 00:23:56.534572+00');
INSERT INTO backflow.schema_migrations VALUES (4, 'warehouse_kinds', '2026-12-05 00:23:56.540742+00');
INSERT INTO backflow.schema_migrations VALUES (5, 'delivery_log', '2026-12-05 00:23:56.544159+00');
INSERT INTO backflow.schema_migrations VALUES (6, 'sync_guards', '2026-12-05 00:23:56.567853+00');
INSERT INTO backflow.schema_migrations VALUES (7, 'notifications', '2026-12-05 00:23:56.57096+00');
INSERT INTO backflow.schema_migrations VALUES (8, 'backfill_policy', '2026-12-05 00:23:56.594841+00');
INSERT INTO backflow.schema_migrations VALUES (9, 'run_schedule_slot', '2026-12-05 00:23:56.596357+00');
INSERT INTO backflow.schema_migrations VALUES (10, 'intents_lz4', '2026-12-05 00:23:56.596984+00');
INSERT INTO backflow.schema_migrations VALUES (11, 'sync_requests', '2026-12-05 00:23:56.598533+00');
INSERT INTO backflow.schema_migrations VALUES (12, 'send_nulls', '2026-12-05 00:23:56.599159+00');
INSERT INTO backflow.schema_migrations VALUES (13, 'connection_pacing', '2026-12-05 00:23:56.599914+00');
INSERT INTO backflow.schema_migrations VALUES (14, 'sync_cursors', '2026-12-05 00:23:56.605798+00');
INSERT INTO backflow.schema_migrations VALUES (15, 'sequences_and_triggers', '2026-12-05 00:23:56.612175+00');
INSERT INTO backflow.schema_migrations VALUES (16, 'notification_templates', '2026-12-05 00:23:56.623376+00');


--
-- Data for Name: sync_after; Type: TABLE DATA; Schema: backflow; Owner: -
--



--
-- Data for Name: sync_cursors; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_cursors VALUES (4, 'fe1af6efd728aa1bcb6a475494469027', '2026-11-01 00:00:12', '2026-12-05 00:24:03.753915+00', 12);
INSERT INTO backflow.sync_cursors VALUES (2, 'e72985635fdf7483cb6a89281789c10f', '2026-11-02 00:00:13', '2026-12-05 00:24:03.392526+00', 14);


--
-- Data for Name: sync_deliveries; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (1, 2, 1, 'msg_26aafae61d7b846d2afdbe03', 'changed', 3, '12', '3', '2026-12-05 00:24:03.416003+00', 1, 200, 6033, NULL, NULL, '\x02313201320133');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (2, 2, 1, 'msg_8eaac675abb60fd660d2c2f4', 'changed', 3, '1', '11', '2026-12-05 00:24:03.415626+00', 1, 200, 6085, NULL, NULL, '\x0131023130023131');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (3, 2, 1, 'msg_6a195157a4d3fa84c0d2a912', 'changed', 3, '7', '9', '2026-12-05 00:24:03.417178+00', 1, 200, 5821, NULL, NULL, '\x013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (4, 2, 1, 'msg_ff980d90c72429d1292f6f42', 'changed', 3, '4', '6', '2026-12-05 00:24:03.417322+00', 1, 422, 5828, '{"error":"rejected"}', NULL, '\x013401350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (5, 2, 1, 'msg_c4073018218e47b09b7cd905', 'changed', 1, '4', '4', '2026-12-05 00:24:03.423724+00', 1, 200, 623, NULL, NULL, '\x0134');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (6, 2, 1, 'msg_0b480fd4c3b2353a0a31987c', 'changed', 2, '5', '6', '2026-12-05 00:24:03.424661+00', 1, 422, 549, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (7, 2, 1, 'msg_0f89f11b45e3ecc1ed3bf37a', 'changed', 1, '5', '5', '2026-12-05 00:24:03.425544+00', 1, 200, 2764, NULL, NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (8, 2, 1, 'msg_ea800f688f09119df338a68e', 'changed', 1, '6', '6', '2026-12-05 00:24:03.428689+00', 1, 422, 525, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (9, 1, 2, 'msg_f85e1574bfa9a176c74e872b', 'changed', 3, 'u12@example.com', 'u2@example.com', '2026-12-05 00:24:03.515759+00', 1, 200, 4418, NULL, NULL, '\x0f753132406578616d706c652e636f6d0e7531406578616d706c652e636f6d0e7532406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (10, 1, 2, 'msg_f902cceb3d9a18d2144247df', 'changed', 3, 'u3@example.com', 'u5@example.com', '2026-12-05 00:24:03.516+00', 1, 200, 5890, NULL, NULL, '\x0e7533406578616d706c652e636f6d0e7534406578616d706c652e636f6d0e7535406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (11, 1, 2, 'msg_f95c1da031547078c82f975a', 'changed', 3, 'u7@example.com', 'u9@example.com', '2026-12-05 00:24:03.515907+00', 1, 200, 6091, NULL, NULL, '\x0e7537406578616d706c652e636f6d0e7538406578616d706c652e636f6d0e7539406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (12, 1, 2, 'msg_ceea9fc9f60a93759fbccf3a', 'changed', 3, 'rej6@example.com', 'u11@example.com', '2026-12-05 00:24:03.516216+00', 1, 422, 6303, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d0f753130406578616d706c652e636f6d0f753131406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (13, 1, 2, 'msg_c11af689b44def9fc27c6c13', 'changed', 1, 'rej6@example.com', 'rej6@example.com', '2026-12-05 00:24:03.522992+00', 1, 422, 3349, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (14, 1, 2, 'msg_35b20cf3cbdeff6154a920c8', 'changed', 2, 'u10@example.com', 'u11@example.com', '2026-12-05 00:24:03.526764+00', 1, 200, 1500, NULL, NULL, '\x0f753130406578616d706c652e636f6d0f753131406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (15, 3, 3, 'msg_4547d63a5c3e823499271ae6', 'changed', 3, 'u12@example.com', 'u2@example.com', '2026-12-05 00:24:03.603081+00', 1, 200, 2824, NULL, NULL, '\x0f753132406578616d706c652e636f6d0e7531406578616d706c652e636f6d0e7532406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (16, 3, 3, 'msg_611ef3ddf9a811ba5821df36', 'changed', 3, 'u3@example.com', 'u5@example.com', '2026-12-05 00:24:03.603149+00', 1, 200, 2803, NULL, NULL, '\x0e7533406578616d706c652e636f6d0e7534406578616d706c652e636f6d0e7535406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (17, 3, 3, 'msg_1dfd281b859a2eca99c8f33c', 'changed', 3, 'u7@example.com', 'u9@example.com', '2026-12-05 00:24:03.602862+00', 1, 200, 3121, NULL, NULL, '\x0e7537406578616d706c652e636f6d0e7538406578616d706c652e636f6d0e7539406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (18, 3, 3, 'msg_7d5e7aed2e12749af5311288', 'changed', 3, 'rej6@example.com', 'u11@example.com', '2026-12-05 00:24:03.603018+00', 1, 422, 2941, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d0f753130406578616d706c652e636f6d0f753131406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (19, 3, 3, 'msg_b10c31ca7e040da80f8d19a6', 'changed', 1, 'rej6@example.com', 'rej6@example.com', '2026-12-05 00:24:03.606385+00', 1, 422, 1142, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (20, 3, 3, 'msg_933f76c41af4a0d5ae4e7247', 'changed', 2, 'u10@example.com', 'u11@example.com', '2026-12-05 00:24:03.607972+00', 1, 200, 831, NULL, NULL, '\x0f753130406578616d706c652e636f6d0f753131406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (21, 5, 4, 'msg_c0511777d25f82034d0c9466', 'changed', 3, '12', '3', '2026-12-05 00:24:03.692013+00', 1, 200, 2681, NULL, NULL, '\x02313201320133');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (22, 5, 4, 'msg_2b09a8ef48fc218a0730e6de', 'changed', 3, '7', '9', '2026-12-05 00:24:03.691842+00', 1, 200, 1943, NULL, NULL, '\x013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (23, 5, 4, 'msg_e61b9793cd73a03597fcf9ff', 'changed', 3, '1', '11', '2026-12-05 00:24:03.692093+00', 1, 200, 3183, NULL, NULL, '\x0131023130023131');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (24, 5, 4, 'msg_969088cdefcf6f3d77f2f76b', 'changed', 3, '4', '6', '2026-12-05 00:24:03.692145+00', 1, 422, 3541, '{"error":"rejected"}', NULL, '\x013401350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (25, 5, 4, 'msg_36b5c0e49080c1ca6fa8416e', 'changed', 1, '4', '4', '2026-12-05 00:24:03.696081+00', 1, 200, 735, NULL, NULL, '\x0134');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (26, 5, 4, 'msg_b1cf743e32caac2bd612af64', 'changed', 2, '5', '6', '2026-12-05 00:24:03.696983+00', 1, 422, 3528, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (27, 5, 4, 'msg_4c6045b9d31c359fbda9d047', 'changed', 1, '5', '5', '2026-12-05 00:24:03.700783+00', 1, 200, 3540, NULL, NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (28, 5, 4, 'msg_79a6cd1767f906bce8021b49', 'changed', 1, '6', '6', '2026-12-05 00:24:03.704586+00', 1, 422, 747, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (29, 4, 5, 'msg_64bf42e48b865a10b114724d', 'changed', 3, '7', '9', '2026-12-05 00:24:03.766299+00', 1, 200, 2096, NULL, NULL, '\x013701380139');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (30, 4, 5, 'msg_8d714659094421b45ffadad2', 'changed', 3, '12', '3', '2026-12-05 00:24:03.76653+00', 1, 200, 4586, NULL, NULL, '\x02313201320133');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (31, 4, 5, 'msg_078e705310bc6fc688da7830', 'changed', 3, '1', '11', '2026-12-05 00:24:03.766446+00', 1, 200, 4620, NULL, NULL, '\x0131023130023131');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (32, 4, 5, 'msg_15dd59d7fd66293a22d133c1', 'changed', 3, '4', '6', '2026-12-05 00:24:03.7666+00', 1, 422, 5266, '{"error":"rejected"}', NULL, '\x013401350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (33, 4, 5, 'msg_e5eb0a176fc7217bcbdaaa82', 'changed', 1, '4', '4', '2026-12-05 00:24:03.772398+00', 1, 200, 665, NULL, NULL, '\x0134');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (34, 4, 5, 'msg_21ff225b18fadb327abd63d0', 'changed', 2, '5', '6', '2026-12-05 00:24:03.773219+00', 1, 422, 555, '{"error":"rejected"}', NULL, '\x01350136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (35, 4, 5, 'msg_ff841c4b68d913fbcb0eec4f', 'changed', 1, '5', '5', '2026-12-05 00:24:03.773932+00', 1, 200, 2155, NULL, NULL, '\x0135');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (36, 4, 5, 'msg_1797ba5fa1f2e4fb69a42144', 'changed', 1, '6', '6', '2026-12-05 00:24:03.776447+00', 1, 422, 4869, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (37, 2, 6, 'msg_20e0e6d845983faf77bbd51b', 'changed', 3, '1', '6', '2026-12-05 00:24:04.005262+00', 1, 422, 3170, '{"error":"rejected"}', NULL, '\x01310231330136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (38, 2, 6, 'msg_bde7343b18e8a20f442a27be', 'changed', 1, '1', '1', '2026-12-05 00:24:04.008706+00', 1, 200, 3559, NULL, NULL, '\x0131');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (39, 2, 6, 'msg_03edbd301ff6b206a91a0c27', 'changed', 2, '13', '6', '2026-12-05 00:24:04.012811+00', 1, 422, 895, '{"error":"rejected"}', NULL, '\x0231330136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (40, 2, 6, 'msg_bf3120cf9072c12d0b049b5a', 'changed', 1, '13', '13', '2026-12-05 00:24:04.013987+00', 1, 200, 595, NULL, NULL, '\x023133');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (41, 2, 6, 'msg_25b12f8504140390fddfa5cc', 'changed', 1, '6', '6', '2026-12-05 00:24:04.014857+00', 1, 422, 613, '{"error":"rejected"}', NULL, '\x0136');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (42, 1, 7, 'msg_fe61e07b6c785e78011b64a5', 'changed', 3, 'rej6@example.com', 'u1@example.com', '2026-12-05 00:24:04.097135+00', 1, 422, 2156, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d0f753133406578616d706c652e636f6d0e7531406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (43, 1, 7, 'msg_2f1aa2f95ba69ac68ac22d40', 'changed', 1, 'rej6@example.com', 'rej6@example.com', '2026-12-05 00:24:04.099841+00', 1, 422, 1076, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (44, 1, 7, 'msg_44bf79c5ed0a41d0f4496a78', 'changed', 2, 'u13@example.com', 'u1@example.com', '2026-12-05 00:24:04.101119+00', 1, 200, 603, NULL, NULL, '\x0f753133406578616d706c652e636f6d0e7531406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (45, 3, 8, 'msg_3a08b9557af5a51a28402723', 'changed', 2, 'rej6@example.com', 'u13@example.com', '2026-12-05 00:24:04.179964+00', 1, 422, 1186, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d0f753133406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (46, 3, 8, 'msg_ef2040f1f127f4f7a585b901', 'changed', 1, 'rej6@example.com', 'rej6@example.com', '2026-12-05 00:24:04.181721+00', 1, 422, 568, '{"error":"rejected"}', NULL, '\x1072656a36406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (47, 3, 8, 'msg_a7066c99dbabd3276e46007e', 'changed', 1, 'u13@example.com', 'u13@example.com', '2026-12-05 00:24:04.182576+00', 1, 200, 678, NULL, NULL, '\x0f753133406578616d706c652e636f6d');
INSERT INTO backflow.sync_deliveries OVERRIDING SYSTEM VALUE VALUES (48, 4, 10, 'msg_be8f86538a0defc979c256e8', 'changed', 3, '1', '6', '2026-12-05 00:24:08.270281+00', 1, 401, 1993, '{"error":"rejected"}', NULL, '\x01310231330136');


--
-- Data for Name: sync_fences; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_fences VALUES (2, 2);
INSERT INTO backflow.sync_fences VALUES (1, 2);
INSERT INTO backflow.sync_fences VALUES (3, 2);
INSERT INTO backflow.sync_fences VALUES (5, 2);
INSERT INTO backflow.sync_fences VALUES (4, 2);


--
-- Data for Name: sync_intents; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_intents VALUES (5, 9, 0, '\x01310231330136');
INSERT INTO backflow.sync_intents VALUES (5, 9, 1, '\x0132');
INSERT INTO backflow.sync_intents VALUES (4, 10, 0, '\x01310231330136');


--
-- Data for Name: sync_ledger; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_ledger VALUES (2, '13', '\xc6b7d37ffbc5e2bee93758ea87371564');
INSERT INTO backflow.sync_ledger VALUES (2, '1', '\x3f03fd745a0e559f9ed6931139f818eb');
INSERT INTO backflow.sync_ledger VALUES (1, 'u13@example.com', '\xc6b7d37ffbc5e2bee93758ea87371564');
INSERT INTO backflow.sync_ledger VALUES (1, 'u1@example.com', '\x3f03fd745a0e559f9ed6931139f818eb');
INSERT INTO backflow.sync_ledger VALUES (3, 'u13@example.com', '\xc6b7d37ffbc5e2bee93758ea87371564');


--
-- Data for Name: sync_ledger_pages; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_ledger_pages VALUES (2, '12', '3', '\x02313251139aec5667b1bbdc63aa3cd17eb7f401328373f08c95cb3e98b8628ea32df3d01b0133ecaf7efeb272b9da8e3d8a5a29f7b2e8');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '1', '11', '\x01311fd80c6388408e3e0666645233211610023130e71ae1ca68d323b5594b3537c35783d70231310c8d37753cd93fc6815768ec6b49b546');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '7', '9', '\x01377b6e6310c458afd0da4b89393e6e51a80138a1e5752c4600587dcb4401f0a60a39ff01396063fc9bbc6512608db835e347ba10b9');
INSERT INTO backflow.sync_ledger_pages VALUES (2, '4', '5', '\x0134e5f4d2cd559828fc963301efa712336d013543d1d51f26e3015dbf15738456b66e11');
INSERT INTO backflow.sync_ledger_pages VALUES (1, 'u12@example.com', 'u2@example.com', '\x0f753132406578616d706c652e636f6d51139aec5667b1bbdc63aa3cd17eb7f40e7531406578616d706c652e636f6d1fd80c6388408e3e06666452332116100e7532406578616d706c652e636f6d8373f08c95cb3e98b8628ea32df3d01b');
INSERT INTO backflow.sync_ledger_pages VALUES (1, 'u3@example.com', 'u5@example.com', '\x0e7533406578616d706c652e636f6decaf7efeb272b9da8e3d8a5a29f7b2e80e7534406578616d706c652e636f6de5f4d2cd559828fc963301efa712336d0e7535406578616d706c652e636f6d43d1d51f26e3015dbf15738456b66e11');
INSERT INTO backflow.sync_ledger_pages VALUES (1, 'u7@example.com', 'u9@example.com', '\x0e7537406578616d706c652e636f6d7b6e6310c458afd0da4b89393e6e51a80e7538406578616d706c652e636f6da1e5752c4600587dcb4401f0a60a39ff0e7539406578616d706c652e636f6d6063fc9bbc6512608db835e347ba10b9');
INSERT INTO backflow.sync_ledger_pages VALUES (1, 'u10@example.com', 'u11@example.com', '\x0f753130406578616d706c652e636f6de71ae1ca68d323b5594b3537c35783d70f753131406578616d706c652e636f6d0c8d37753cd93fc6815768ec6b49b546');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u12@example.com', 'u2@example.com', '\x0f753132406578616d706c652e636f6d51139aec5667b1bbdc63aa3cd17eb7f40e7531406578616d706c652e636f6d1fd80c6388408e3e06666452332116100e7532406578616d706c652e636f6d8373f08c95cb3e98b8628ea32df3d01b');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u3@example.com', 'u5@example.com', '\x0e7533406578616d706c652e636f6decaf7efeb272b9da8e3d8a5a29f7b2e80e7534406578616d706c652e636f6de5f4d2cd559828fc963301efa712336d0e7535406578616d706c652e636f6d43d1d51f26e3015dbf15738456b66e11');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u7@example.com', 'u9@example.com', '\x0e7537406578616d706c652e636f6d7b6e6310c458afd0da4b89393e6e51a80e7538406578616d706c652e636f6da1e5752c4600587dcb4401f0a60a39ff0e7539406578616d706c652e636f6d6063fc9bbc6512608db835e347ba10b9');
INSERT INTO backflow.sync_ledger_pages VALUES (3, 'u10@example.com', 'u11@example.com', '\x0f753130406578616d706c652e636f6de71ae1ca68d323b5594b3537c35783d70f753131406578616d706c652e636f6d0c8d37753cd93fc6815768ec6b49b546');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '12', '3', '\x02313251139aec5667b1bbdc63aa3cd17eb7f401328373f08c95cb3e98b8628ea32df3d01b0133ecaf7efeb272b9da8e3d8a5a29f7b2e8');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '7', '9', '\x01377b6e6310c458afd0da4b89393e6e51a80138a1e5752c4600587dcb4401f0a60a39ff01396063fc9bbc6512608db835e347ba10b9');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '1', '11', '\x01311fd80c6388408e3e0666645233211610023130e71ae1ca68d323b5594b3537c35783d70231310c8d37753cd93fc6815768ec6b49b546');
INSERT INTO backflow.sync_ledger_pages VALUES (5, '4', '5', '\x0134e5f4d2cd559828fc963301efa712336d013543d1d51f26e3015dbf15738456b66e11');
INSERT INTO backflow.sync_ledger_pages VALUES (4, '7', '9', '\x01377b6e6310c458afd0da4b89393e6e51a80138a1e5752c4600587dcb4401f0a60a39ff01396063fc9bbc6512608db835e347ba10b9');
INSERT INTO backflow.sync_ledger_pages VALUES (4, '12', '3', '\x02313251139aec5667b1bbdc63aa3cd17eb7f401328373f08c95cb3e98b8628ea32df3d01b0133ecaf7efeb272b9da8e3d8a5a29f7b2e8');
INSERT INTO backflow.sync_ledger_pages VALUES (4, '1', '11', '\x01311fd80c6388408e3e0666645233211610023130e71ae1ca68d323b5594b3537c35783d70231310c8d37753cd93fc6815768ec6b49b546');
INSERT INTO backflow.sync_ledger_pages VALUES (4, '4', '5', '\x0134e5f4d2cd559828fc963301efa712336d013543d1d51f26e3015dbf15738456b66e11');


--
-- Data for Name: sync_runs; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (1, 2, 'succeeded', 'manual', '2026-12-05 00:24:03.392526+00', '2026-12-05 00:24:03.435676+00', 12, 0, 12, 0, 0, 11, 1, 0, '[]', NULL, NULL, NULL, NULL, 4, 'full', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (2, 1, 'succeeded', 'manual', '2026-12-05 00:24:03.498395+00', '2026-12-05 00:24:03.532563+00', 12, 0, 12, 0, 0, 11, 1, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (3, 3, 'succeeded', 'manual', '2026-12-05 00:24:03.585042+00', '2026-12-05 00:24:03.613252+00', 12, 0, 12, 0, 0, 11, 1, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (4, 5, 'succeeded', 'manual', '2026-12-05 00:24:03.673234+00', '2026-12-05 00:24:03.711792+00', 12, 0, 12, 0, 0, 11, 1, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (5, 4, 'succeeded', 'manual', '2026-12-05 00:24:03.753915+00', '2026-12-05 00:24:03.786204+00', 12, 0, 12, 0, 0, 11, 1, 0, '[]', NULL, NULL, NULL, NULL, 4, 'full', NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (6, 2, 'succeeded', 'manual', '2026-12-05 00:24:03.995057+00', '2026-12-05 00:24:04.018368+00', 12, 0, 2, 1, 0, 2, 1, 0, '[]', NULL, NULL, NULL, NULL, 4, 'incremental', '2026-10-31 23:55:12', NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (7, 1, 'succeeded', 'manual', '2026-12-05 00:24:04.070234+00', '2026-12-05 00:24:04.114233+00', 12, 0, 2, 1, 0, 2, 1, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (8, 3, 'succeeded', 'manual', '2026-12-05 00:24:04.158203+00', '2026-12-05 00:24:04.189782+00', 12, 0, 2, 0, 0, 1, 1, 0, '[]', NULL, NULL, NULL, NULL, 4, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (9, 5, 'running', 'manual', '2026-12-05 00:24:04.263851+00', NULL, 0, 0, 0, 0, 0, 0, 0, 0, '[]', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO backflow.sync_runs OVERRIDING SYSTEM VALUE VALUES (10, 4, 'failed', 'manual', '2026-12-05 00:24:08.252776+00', '2026-12-05 00:24:08.275501+00', 12, 0, 2, 1, 0, 0, 0, 3, '[]', 'deliver to "hook": the webhook answered HTTP 401: the destination refused the credentials, so nothing more was sent and the records stay pending; check the connection''s credentials (its headers and the token or key they carry, its oauth2 or basic_auth block) and the signing secret (response body: "{\"error\":\"rejected\"}")', NULL, NULL, NULL, 4, 'incremental', '2026-10-31 23:55:12', NULL, NULL);


--
-- Data for Name: syncs; Type: TABLE DATA; Schema: backflow; Owner: -
--

INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (1, 'upsert', 1, 2, 'update_or_create', 'email', NULL, NULL, NULL, 3, false, NULL, '2026-12-05 00:23:56.982256+00', '2026-12-05 00:23:56.982256+00', NULL, 'send_all', NULL, false, NULL, NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (2, 'mirror', 1, 2, 'mirror', 'id', NULL, NULL, NULL, 3, false, NULL, '2026-12-05 00:23:57.000104+00', '2026-12-05 00:23:57.000104+00', '{"max_deleted_percent": 100}', 'send_all', NULL, false, 'updated_at', NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (3, 'append', 1, 2, 'append', 'email', NULL, NULL, NULL, 3, false, NULL, '2026-12-05 00:23:57.001759+00', '2026-12-05 00:23:57.001759+00', NULL, 'send_all', NULL, false, NULL, NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (4, 'failed', 1, 2, 'update_or_create', 'id', NULL, NULL, NULL, 3, false, NULL, '2026-12-05 00:23:57.00373+00', '2026-12-05 00:23:57.00373+00', NULL, 'send_all', NULL, false, 'updated_at', NULL, NULL);
INSERT INTO backflow.syncs OVERRIDING SYSTEM VALUE VALUES (5, 'killed', 1, 2, 'mirror', 'id', NULL, NULL, NULL, 3, false, NULL, '2026-12-05 00:23:57.01492+00', '2026-12-05 00:23:57.01492+00', '{"max_deleted_percent": 100}', 'send_all', NULL, false, NULL, NULL, NULL);


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

SELECT pg_catalog.setval('backflow.sync_deliveries_id_seq', 48, true);


--
-- Name: sync_runs_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.sync_runs_id_seq', 10, true);


--
-- Name: syncs_id_seq; Type: SEQUENCE SET; Schema: backflow; Owner: -
--

SELECT pg_catalog.setval('backflow.syncs_id_seq', 5, true);


