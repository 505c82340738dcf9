-- The constraints and indexes of the pg_dump of a control plane at version 16 (after its data),
-- the same in every controlplane-v16*.sql fixture: restoreUpgrade puts them after them.
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


