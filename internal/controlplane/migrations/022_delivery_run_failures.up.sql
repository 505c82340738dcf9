-- Backflow control plane, version 22: the failed requests of one run in the delivery log (those
-- that did not get a 2xx) are read by an index probe (deliveries.go, ListDeliveries with a run and
-- Failed: `deliveries --run N --failed`, and `runs` and `runs show` for each run with an error of
-- a sync that withholds its key, whose error may quote the keys of those requests). Without it
-- they were found among every request of the run (sync_deliveries_run_id, filtered), or every
-- failed request of the sync (sync_deliveries_failed, filtered): a run of 200 thousand requests
-- that ended on an error took half a second to show.
CREATE INDEX sync_deliveries_run_failed ON backflow.sync_deliveries (sync_id, run_id, id) WHERE status NOT BETWEEN 200 AND 299;
