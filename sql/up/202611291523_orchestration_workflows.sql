-- Migration: orchestration_workflows
-- Phase 1: creates agency.orchestration_workflows: a workflow run for a client (onboarding, module
-- activation, deployment, handover) with its definition, current step and outcome. Status and type
-- are named CHECKs over their sets; step lists are JSON arrays and the definition a JSON object.
-- A new table: the only locks on existing tables are those its foreign key takes on agency.clients.
-- Locks: SHARE ROW EXCLUSIVE on agency.clients (new foreign key; blocks writes for this short transaction);
--   ROW EXCLUSIVE on governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: client-scoped tenant table; (organization_id, client_id, workflow_id) is unique so executions
-- and handover packages reference a workflow of their own client.
CREATE TABLE agency.orchestration_workflows (
    organization_id uuid NOT NULL,
    workflow_id uuid NOT NULL DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    workflow_name text NOT NULL,
    workflow_type text NOT NULL,
    workflow_definition jsonb NOT NULL,
    current_step text,
    status text NOT NULL DEFAULT 'pending',
    steps_completed jsonb NOT NULL DEFAULT '[]',
    steps_failed jsonb NOT NULL DEFAULT '[]',
    metadata jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    completed_at timestamptz,
    CONSTRAINT pk_orchestration_workflows PRIMARY KEY (organization_id, workflow_id),
    CONSTRAINT uq_orchestration_workflows_client_workflow UNIQUE (organization_id, client_id, workflow_id),
    CONSTRAINT fk_orchestration_workflows_client_id FOREIGN KEY (organization_id, client_id)
        REFERENCES agency.clients (organization_id, client_id) ON DELETE CASCADE,
    CONSTRAINT ck_orchestration_workflows_workflow_name_length CHECK (pg_catalog.char_length(workflow_name) BETWEEN 1 AND 200),
    CONSTRAINT ck_orchestration_workflows_workflow_type
        CHECK (workflow_type IN ('client_onboarding', 'module_activation', 'deployment', 'handover')),
    CONSTRAINT ck_orchestration_workflows_workflow_definition_object
        CHECK (pg_catalog.jsonb_typeof(workflow_definition) = 'object'),
    CONSTRAINT ck_orchestration_workflows_current_step_length CHECK (pg_catalog.char_length(current_step) BETWEEN 1 AND 200),
    CONSTRAINT ck_orchestration_workflows_status
        CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
    CONSTRAINT ck_orchestration_workflows_steps_completed_array CHECK (pg_catalog.jsonb_typeof(steps_completed) = 'array'),
    CONSTRAINT ck_orchestration_workflows_steps_failed_array CHECK (pg_catalog.jsonb_typeof(steps_failed) = 'array'),
    CONSTRAINT ck_orchestration_workflows_metadata_object CHECK (pg_catalog.jsonb_typeof(metadata) = 'object'),
    CONSTRAINT ck_orchestration_workflows_started_consistent CHECK (status IN ('pending', 'cancelled') OR started_at IS NOT NULL),
    CONSTRAINT ck_orchestration_workflows_completed_consistent
        CHECK ((status IN ('completed', 'failed', 'cancelled')) = (completed_at IS NOT NULL)),
    CONSTRAINT ck_orchestration_workflows_completed_after_started CHECK (completed_at >= started_at),
    CONSTRAINT ck_orchestration_workflows_updated_after_created CHECK (updated_at >= created_at)
);
ALTER TABLE agency.orchestration_workflows ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.orchestration_workflows FORCE ROW LEVEL SECURITY;

-- Why: "the client's current workflow" (dashboard): open workflows only.
CREATE INDEX idx_orchestration_workflows_open ON agency.orchestration_workflows (organization_id, client_id, created_at)
    WHERE status IN ('pending', 'in_progress');

COMMENT ON TABLE agency.orchestration_workflows IS 'Orchestration workflow runs of a client: onboarding, module activation, deployment, handover.';
COMMENT ON CONSTRAINT uq_orchestration_workflows_client_workflow ON agency.orchestration_workflows IS
    'Target of composite foreign keys that must stay within one client.';
COMMENT ON INDEX agency.idx_orchestration_workflows_open IS 'Open (pending, in_progress) workflows of a client, newest last.';
COMMENT ON COLUMN agency.orchestration_workflows.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.orchestration_workflows.workflow_id IS 'Workflow id (unique within the agency).';
COMMENT ON COLUMN agency.orchestration_workflows.client_id IS 'Client of the same agency the workflow runs for.';
COMMENT ON COLUMN agency.orchestration_workflows.workflow_name IS 'Name shown in the product.';
COMMENT ON COLUMN agency.orchestration_workflows.workflow_type IS 'client_onboarding, module_activation, deployment or handover.';
COMMENT ON COLUMN agency.orchestration_workflows.workflow_definition IS 'The definition run (JSON object: steps and their parameters).';
COMMENT ON COLUMN agency.orchestration_workflows.current_step IS 'Step being run; NULL before the first and after the last.';
COMMENT ON COLUMN agency.orchestration_workflows.status IS 'pending, in_progress, completed, failed or cancelled.';
COMMENT ON COLUMN agency.orchestration_workflows.steps_completed IS 'Names of completed steps (JSON array).';
COMMENT ON COLUMN agency.orchestration_workflows.steps_failed IS 'Names of failed steps (JSON array).';
COMMENT ON COLUMN agency.orchestration_workflows.metadata IS 'Free-form details (JSON object), including backfill provenance. No secrets.';
COMMENT ON COLUMN agency.orchestration_workflows.created_at IS 'When the workflow was created.';
COMMENT ON COLUMN agency.orchestration_workflows.updated_at IS 'Last change, maintained by trg_orchestration_workflows_updated_at.';
COMMENT ON COLUMN agency.orchestration_workflows.started_at IS 'When it started; set unless pending or cancelled before starting.';
COMMENT ON COLUMN agency.orchestration_workflows.completed_at IS 'When it ended; set exactly when completed, failed or cancelled.';

CREATE TRIGGER trg_orchestration_workflows_updated_at
    BEFORE UPDATE ON agency.orchestration_workflows
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'orchestration_workflows', 'organization_id', 'internal'),
    ('agency', 'orchestration_workflows', 'workflow_id', 'internal'),
    ('agency', 'orchestration_workflows', 'client_id', 'internal'),
    ('agency', 'orchestration_workflows', 'workflow_name', 'internal'),
    ('agency', 'orchestration_workflows', 'workflow_type', 'internal'),
    ('agency', 'orchestration_workflows', 'workflow_definition', 'confidential'),
    ('agency', 'orchestration_workflows', 'current_step', 'internal'),
    ('agency', 'orchestration_workflows', 'status', 'internal'),
    ('agency', 'orchestration_workflows', 'steps_completed', 'internal'),
    ('agency', 'orchestration_workflows', 'steps_failed', 'internal'),
    ('agency', 'orchestration_workflows', 'metadata', 'confidential'),
    ('agency', 'orchestration_workflows', 'created_at', 'internal'),
    ('agency', 'orchestration_workflows', 'updated_at', 'internal'),
    ('agency', 'orchestration_workflows', 'started_at', 'internal'),
    ('agency', 'orchestration_workflows', 'completed_at', 'internal');

RESET ROLE;
