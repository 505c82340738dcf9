-- Backflow control plane, version 21: a sync's newest requests in the delivery log (of one run, or
-- that did not get a 2xx) are read by index probes (deliveries.go, ListDeliveries: the
-- `deliveries` command, and the status page's sync page at every load). Without them the newest
-- first order walked the log's primary key backwards over every sync's rows, or a sync's rows
-- by its (sync_id, run_id) index, filtered: a sync that made few requests lately, whose requests
-- rarely fail (the status page's last failed requests), or a run not among the newest, read the
-- whole log, some million rows over the 14 days it keeps. sync_deliveries_run_id replaces
-- sync_deliveries_run, whose columns it starts with.
CREATE INDEX sync_deliveries_recent ON backflow.sync_deliveries (sync_id, id);
CREATE INDEX sync_deliveries_failed ON backflow.sync_deliveries (sync_id, id) WHERE status NOT BETWEEN 200 AND 299;
CREATE INDEX sync_deliveries_run_id ON backflow.sync_deliveries (sync_id, run_id, id);
DROP INDEX backflow.sync_deliveries_run;
