-- Migration: backfill_handover_package_installations
-- Inverse of the up file: removes the contents lists of the backfilled packages (package_metadata.backfill
-- = 202611291532), also after a half-done run.
-- Locks: ROW EXCLUSIVE on agency.handover_package_installations.

DELETE FROM agency.handover_package_installations AS h
USING agency.handover_packages AS p
WHERE p.organization_id = h.organization_id AND p.client_id = h.client_id AND p.package_id = h.package_id
  AND p.package_metadata ->> 'backfill' = '202611291532';
