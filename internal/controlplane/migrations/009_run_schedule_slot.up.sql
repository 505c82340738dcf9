-- Backflow control plane, version 9: the schedule slot a scheduled run served, so that a sync's
-- next due time counts from its schedule, not from when a poll noticed the run.
ALTER TABLE backflow.sync_runs ADD COLUMN scheduled_for timestamptz;
