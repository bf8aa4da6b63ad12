-- Migration: backfill_integration_events_from_history
-- Phase 2 (batched): integration events for the history recorded before the event log existed: one
-- per deployment that ended (orchestration: deployment.completed / failed / rolled_back, at its end)
-- and one per installation (marketplace: module.installed, at its installation). They are history,
-- so they are recorded as processed (completed at the time they happened). Each event's id is
-- derived from its source row (md5 of kind and id), so a resumed run finds what it already wrote and
-- never writes an event twice; the partitions for these months exist (202611291529).
-- Locks: ROW EXCLUSIVE on agency.integration_events (per batch); ACCESS SHARE on the sources.
-- dbrun: batch size=2000 pause=20ms
INSERT INTO agency.integration_events (
    organization_id, created_at, event_id, event_type, event_source, client_id, event_payload, event_metadata,
    processing_status, processed_at, correlation_id
)
SELECT h.organization_id, h.happened_at, h.event_id, h.event_type, h.event_source, h.client_id, h.payload,
       pg_catalog.jsonb_build_object('backfill', '202611291534'), 'completed', h.happened_at, h.client_id
FROM (
    SELECT d.organization_id, d.completed_at AS happened_at,
           pg_catalog.md5('deployment:' || d.deployment_id::text)::uuid AS event_id,
           'deployment.' || d.status AS event_type, 'orchestration' AS event_source, d.client_id,
           pg_catalog.jsonb_build_object('deployment_id', d.deployment_id, 'environment', d.environment) AS payload
    FROM agency.client_deployments AS d
    WHERE d.completed_at IS NOT NULL
    UNION ALL
    SELECT i.organization_id, i.installed_at, pg_catalog.md5('installation:' || i.installation_id::text)::uuid,
           'module.installed', 'marketplace', i.client_id,
           pg_catalog.jsonb_build_object('installation_id', i.installation_id, 'module_id', i.module_id)
    FROM agency.module_installations AS i
) AS h
WHERE NOT EXISTS (SELECT FROM agency.integration_events AS e
                  WHERE e.organization_id = h.organization_id AND e.created_at = h.happened_at AND e.event_id = h.event_id)
LIMIT :size;
