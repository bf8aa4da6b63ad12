-- Migration: backfill_deployment_handover_packages
-- Phase 2 (batched): a handover package for every completed deployment that has none, recorded as
-- delivered when the deployment completed (the handover happened outside the system). At most one
-- package per deployment (uq_handover_packages_organization_id_deployment_id); a deployment leaves
-- the "no package yet" set once its package exists, so a resumed run never duplicates one.
-- Provenance in package_metadata.backfill, which the down file relies on.
-- Locks: ROW EXCLUSIVE on agency.handover_packages (per batch); ACCESS SHARE on agency.client_deployments.
-- dbrun: batch size=2000 pause=20ms
INSERT INTO agency.handover_packages (
    organization_id, client_id, deployment_id, package_name, package_type, delivery_status, delivery_method,
    delivered_at, package_metadata
)
SELECT d.organization_id, d.client_id, d.deployment_id, 'Handover of the ' || d.environment || ' deployment', 'complete',
       'delivered', 'meeting', d.completed_at, pg_catalog.jsonb_build_object('backfill', '202611291532')
FROM agency.client_deployments AS d
WHERE d.status = 'completed'
  AND NOT EXISTS (SELECT FROM agency.handover_packages AS p
                  WHERE p.organization_id = d.organization_id AND p.deployment_id = d.deployment_id)
LIMIT :size;
