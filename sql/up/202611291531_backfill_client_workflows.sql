-- Migration: backfill_client_workflows
-- Phase 2 (batched): gives every existing client its onboarding workflow, derived from the client's
-- status (lead: pending; onboarding: in progress; active, paused, churned: completed at the client's
-- last change). Each batch inserts the workflows of up to 2000 clients that have none yet (a client
-- leaves that set once its workflow exists), so a resumed run never duplicates one. Provenance in
-- metadata.backfill, which the down file relies on.
-- Locks: ROW EXCLUSIVE on agency.orchestration_workflows (per batch); ACCESS SHARE on agency.clients.
-- dbrun: batch size=2000 pause=20ms
INSERT INTO agency.orchestration_workflows (
    organization_id, client_id, workflow_name, workflow_type, workflow_definition, current_step, status,
    steps_completed, metadata, created_at, updated_at, started_at, completed_at
)
SELECT c.organization_id, c.client_id, 'Client onboarding', 'client_onboarding',
       '{"steps": ["kickoff", "configure_modules", "deploy", "handover"]}'::jsonb,
       CASE c.status WHEN 'onboarding' THEN 'configure_modules' END,
       CASE c.status WHEN 'lead' THEN 'pending' WHEN 'onboarding' THEN 'in_progress' ELSE 'completed' END,
       CASE c.status WHEN 'lead' THEN '[]'::jsonb WHEN 'onboarding' THEN '["kickoff"]'::jsonb
            ELSE '["kickoff", "configure_modules", "deploy", "handover"]'::jsonb END,
       pg_catalog.jsonb_build_object('backfill', '202611291531'),
       c.created_at, greatest(c.updated_at, c.created_at),
       CASE WHEN c.status <> 'lead' THEN c.created_at END,
       CASE WHEN c.status IN ('active', 'paused', 'churned') THEN greatest(c.updated_at, c.created_at) END
FROM agency.clients AS c
WHERE NOT EXISTS (SELECT FROM agency.orchestration_workflows AS w
                  WHERE w.organization_id = c.organization_id AND w.client_id = c.client_id
                    AND w.workflow_type = 'client_onboarding')
LIMIT :size;
