-- Backflow control plane, version 16: a notification's body as a Liquid template (see
-- notifications.go). Empty body: the documented JSON event, as before. The template is rendered
-- by the runner for each event, from the event's JSON (payload) as `event`.
ALTER TABLE backflow.notifications ADD COLUMN body text NOT NULL DEFAULT '';
ALTER TABLE backflow.notifications ADD COLUMN content_type text NOT NULL DEFAULT 'application/json';
