-- Backflow control plane, version 11: a sync's requests per operation (its `request` block), as
-- JSON (controlplane.RequestSpec). NULL: the Census envelope, POSTed to the connection's URL.
ALTER TABLE backflow.syncs ADD COLUMN request jsonb;
