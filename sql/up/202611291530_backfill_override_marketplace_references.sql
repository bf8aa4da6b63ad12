-- Migration: backfill_override_marketplace_references
-- Phase 2 (data population, batched): fills the marketplace columns of every existing override: the
-- catalog module whose slug is the override's app_key, the client's live installation of it (newest
-- first), and an activation status: disabled when the override is switched off, active when the
-- installation is active, pending otherwise (not installed, or still installing). The provenance is
-- recorded in activation_metadata (backfill = this version), which the down file relies on.
-- Batches of 2000 rows (ctid idiom: a row leaves the "activation_status IS NULL" set once done, found
-- through idx_client_app_overrides_organization_id_activation_status), each its own transaction;
-- resumable after a failure or a kill. Runs across tenants: see docs/schema.md (backfills).
-- Locks: ROW EXCLUSIVE on agency.client_app_overrides (per batch); ACCESS SHARE on the catalog and installations.
-- dbrun: batch size=2000 pause=20ms
UPDATE agency.client_app_overrides AS o
SET marketplace_module_id = m.module_id,
    installation_id = i.installation_id,
    activation_status = CASE WHEN NOT o.enabled THEN 'disabled' WHEN i.status = 'active' THEN 'active' ELSE 'pending' END,
    activation_metadata = pg_catalog.jsonb_build_object('backfill', '202611291530')
FROM agency.client_app_overrides AS t
LEFT JOIN agency.marketplace_modules AS m ON m.slug = t.app_key
LEFT JOIN LATERAL (
    SELECT x.installation_id, x.status FROM agency.module_installations AS x
    WHERE x.organization_id = t.organization_id AND x.client_id = t.client_id AND x.module_id = m.module_id
      AND x.status <> 'uninstalled'
    ORDER BY x.installed_at DESC, x.installation_id
    LIMIT 1
) AS i ON true
WHERE o.ctid = t.ctid
  AND t.ctid = ANY (ARRAY(SELECT s.ctid FROM agency.client_app_overrides AS s WHERE s.activation_status IS NULL LIMIT :size));
