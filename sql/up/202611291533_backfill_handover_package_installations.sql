-- Migration: backfill_handover_package_installations
-- Phase 2 (batched): the contents of the packages created by 202611291532: every installation of the
-- client that was live when its deployment completed (installed before, not uninstalled before).
-- A pair leaves the "not listed yet" set once inserted, so a resumed run never duplicates one.
-- Locks: ROW EXCLUSIVE on agency.handover_package_installations (per batch); ACCESS SHARE on the sources.
-- dbrun: batch size=2000 pause=20ms
INSERT INTO agency.handover_package_installations (organization_id, client_id, package_id, installation_id)
SELECT p.organization_id, p.client_id, p.package_id, i.installation_id
FROM agency.handover_packages AS p
JOIN agency.module_installations AS i
  ON i.organization_id = p.organization_id AND i.client_id = p.client_id
 AND i.installed_at <= p.delivered_at AND (i.uninstalled_at IS NULL OR i.uninstalled_at > p.delivered_at)
WHERE p.package_metadata ->> 'backfill' = '202611291532'
  AND NOT EXISTS (SELECT FROM agency.handover_package_installations AS h
                  WHERE h.organization_id = p.organization_id AND h.client_id = p.client_id
                    AND h.package_id = p.package_id AND h.installation_id = i.installation_id)
LIMIT :size;
