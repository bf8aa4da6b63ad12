-- Migration: backfill_integration_events_from_history
-- Inverse of the up file: deletes exactly the events the backfill wrote (event_metadata.backfill =
-- 202611291534), also after a half-done run.
-- Locks: ROW EXCLUSIVE on agency.integration_events.

DELETE FROM agency.integration_events WHERE event_metadata ->> 'backfill' = '202611291534';
