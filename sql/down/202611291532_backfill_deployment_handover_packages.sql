-- Migration: backfill_deployment_handover_packages
-- Inverse of the up file: deletes exactly the packages the backfill created (package_metadata.backfill
-- = 202611291532), also after a half-done run; their contents lists go with them (CASCADE).
-- Locks: ROW EXCLUSIVE on agency.handover_packages and its junction tables.

DELETE FROM agency.handover_packages WHERE package_metadata ->> 'backfill' = '202611291532';
