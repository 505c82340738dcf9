-- Backflow control plane, version 20: a cursor sync's mark keeps the columns (names and types)
-- the run that saved it read, which the next incremental read's columns are compared with
-- (runner: openPlanned). Without them, the runner compared with the columns as last described
-- (at terraform apply), and a runner release that names a type otherwise than the one that
-- described them (MySQL's BOOL and tinyint(1)) made every run a full read until the next apply.
-- columns_run is the run that wrote them: an upsert of a release before this one (which sets
-- neither) leaves columns_run as it was, and the trigger then clears columns, which no longer
-- belong to the mark (the runner compares with the described ones again).
ALTER TABLE backflow.sync_cursors
    ADD COLUMN columns     jsonb,
    ADD COLUMN columns_run bigint;

CREATE FUNCTION backflow.sync_cursors_columns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.columns_run IS NOT DISTINCT FROM OLD.columns_run THEN
        NEW.columns := NULL;
        NEW.columns_run := NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER sync_cursors_columns BEFORE UPDATE ON backflow.sync_cursors
    FOR EACH ROW EXECUTE FUNCTION backflow.sync_cursors_columns();
