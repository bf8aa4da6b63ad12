-- Migration: integration_events
-- Inverse of the up file: drops the claim and partition functions, agency.integration_events with
-- every partition, and the classification rows of the table and its partitions.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications
WHERE schema_name = 'agency' AND (table_name = 'integration_events' OR table_name ~ '^integration_events_y[0-9]{4}m[0-9]{2}$');
DROP FUNCTION agency.claim_integration_events(text, integer, interval);
DROP FUNCTION agency.create_integration_event_partitions(integer, timestamptz);
DROP TABLE agency.integration_events;
