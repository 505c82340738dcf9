-- Backflow control plane, version 25: a notification destination's hold, shared by every runner.
-- A webhook that answered a notification event 429 or 5xx with a Retry-After asked for a pause, and
-- one that gave no answer is tried again at the failed event's retry: the daemon's notifier held
-- the destination's other events in its own memory only, so a restarted daemon, or another
-- replica, sent an event queued since into the pause, using an attempt. The hold is the
-- destination's pacing state, shared as its timeline is (Store.HoldDestination): no replica takes
-- an event to the connection until it ends (Store.ClaimEvents).
ALTER TABLE backflow.connection_pacing ADD COLUMN hold_until timestamptz;
