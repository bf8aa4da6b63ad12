-- Migration: backfill_override_marketplace_references
-- Inverse of the up file: clears the marketplace columns of exactly the rows the backfill filled
-- (activation_metadata.backfill = 202611291530), also after a half-done run. Rows a service changed
-- since (their metadata no longer carries the marker) are left as the service wrote them.
-- Locks: ROW EXCLUSIVE on agency.client_app_overrides.

UPDATE agency.client_app_overrides
SET marketplace_module_id = NULL, installation_id = NULL, activation_status = NULL, activation_metadata = NULL
WHERE activation_metadata ->> 'backfill' = '202611291530';
