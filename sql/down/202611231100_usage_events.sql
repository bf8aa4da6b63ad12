-- Migration: usage_events
-- Inverse of the up file: drops usage.events with all its partitions, its functions, its
-- classification rows (the parent's and every partition's) and retention row, and the usage schema.
-- Locks: ROW EXCLUSIVE on governance.column_classifications and governance.retention_policies (DELETE).

REVOKE USAGE ON SCHEMA usage FROM app_rw, app_ro;

DELETE FROM governance.retention_policies WHERE schema_name = 'usage' AND table_name = 'events';
DELETE FROM governance.column_classifications
WHERE schema_name = 'usage' AND (table_name = 'events' OR table_name ~ '^events_y[0-9]{4}m[0-9]{2}$');

-- Why: dropping the parent drops its partitions, indexes, policies and triggers.
DROP TABLE usage.events;
DROP FUNCTION usage.create_event_partitions(integer, timestamptz);
DROP FUNCTION usage.police_partitions(regclass);
DROP FUNCTION usage.partitions_of(regclass);
DROP FUNCTION usage.tg_events_validate();
DROP SCHEMA usage;
