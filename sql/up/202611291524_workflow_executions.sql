-- Migration: workflow_executions
-- Phase 1: creates agency.workflow_executions: one row per step of a workflow run, with its input,
-- output, error, duration and retries. It carries client_id (the client of its workflow, enforced by
-- the composite key) so its policy filters by client without a join. 0 <= retry_count <= max_retries,
-- execution_time_ms >= 0, completed_at >= started_at; JSON fields are objects.
-- Locks: none on existing tables but ROW EXCLUSIVE on governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: client-scoped tenant table; its workflow must be a workflow of the same client.
CREATE TABLE agency.workflow_executions (
    organization_id uuid NOT NULL,
    execution_id uuid NOT NULL DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    workflow_id uuid NOT NULL,
    step_name text NOT NULL,
    step_type text NOT NULL,
    execution_order integer NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    input_data jsonb NOT NULL DEFAULT '{}',
    output_data jsonb NOT NULL DEFAULT '{}',
    error_data jsonb NOT NULL DEFAULT '{}',
    execution_time_ms integer,
    started_at timestamptz,
    completed_at timestamptz,
    retry_count integer NOT NULL DEFAULT 0,
    max_retries integer NOT NULL DEFAULT 3,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_workflow_executions PRIMARY KEY (organization_id, execution_id),
    CONSTRAINT uq_workflow_executions_workflow_order UNIQUE (organization_id, workflow_id, execution_order),
    CONSTRAINT fk_workflow_executions_workflow_id FOREIGN KEY (organization_id, client_id, workflow_id)
        REFERENCES agency.orchestration_workflows (organization_id, client_id, workflow_id) ON DELETE CASCADE,
    CONSTRAINT ck_workflow_executions_step_name_length CHECK (pg_catalog.char_length(step_name) BETWEEN 1 AND 200),
    CONSTRAINT ck_workflow_executions_step_type_length CHECK (pg_catalog.char_length(step_type) BETWEEN 1 AND 100),
    CONSTRAINT ck_workflow_executions_execution_order_positive CHECK (execution_order >= 1),
    CONSTRAINT ck_workflow_executions_status CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped')),
    CONSTRAINT ck_workflow_executions_input_data_object CHECK (pg_catalog.jsonb_typeof(input_data) = 'object'),
    CONSTRAINT ck_workflow_executions_output_data_object CHECK (pg_catalog.jsonb_typeof(output_data) = 'object'),
    CONSTRAINT ck_workflow_executions_error_data_object CHECK (pg_catalog.jsonb_typeof(error_data) = 'object'),
    CONSTRAINT ck_workflow_executions_execution_time_ms_non_negative CHECK (execution_time_ms >= 0),
    CONSTRAINT ck_workflow_executions_retry_count_range CHECK (retry_count >= 0 AND retry_count <= max_retries),
    CONSTRAINT ck_workflow_executions_completed_after_started CHECK (completed_at >= started_at)
);
ALTER TABLE agency.workflow_executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.workflow_executions FORCE ROW LEVEL SECURITY;

-- Why: the composite foreign key to the workflow (and "the steps of a workflow").
CREATE INDEX idx_workflow_executions_client_workflow ON agency.workflow_executions (organization_id, client_id, workflow_id);

COMMENT ON TABLE agency.workflow_executions IS 'Step executions of an orchestration workflow.';
COMMENT ON INDEX agency.idx_workflow_executions_client_workflow IS 'Composite FK to the workflow; the steps of a workflow.';
COMMENT ON COLUMN agency.workflow_executions.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.workflow_executions.execution_id IS 'Execution id (unique within the agency).';
COMMENT ON COLUMN agency.workflow_executions.client_id IS 'Client of the workflow (enforced by the composite key); lets the policy filter without a join.';
COMMENT ON COLUMN agency.workflow_executions.workflow_id IS 'Workflow of the same client.';
COMMENT ON COLUMN agency.workflow_executions.step_name IS 'Step name from the workflow definition.';
COMMENT ON COLUMN agency.workflow_executions.step_type IS 'Step type, e.g. module_activation, notification.';
COMMENT ON COLUMN agency.workflow_executions.execution_order IS 'Position of the step in the run (>= 1); unique per workflow.';
COMMENT ON COLUMN agency.workflow_executions.status IS 'pending, running, completed, failed or skipped.';
COMMENT ON COLUMN agency.workflow_executions.input_data IS 'Step input (JSON object). No secrets.';
COMMENT ON COLUMN agency.workflow_executions.output_data IS 'Step output (JSON object). No secrets.';
COMMENT ON COLUMN agency.workflow_executions.error_data IS 'Error details of a failed attempt (JSON object).';
COMMENT ON COLUMN agency.workflow_executions.execution_time_ms IS 'Duration in milliseconds (>= 0); NULL until it ran.';
COMMENT ON COLUMN agency.workflow_executions.started_at IS 'When the step started.';
COMMENT ON COLUMN agency.workflow_executions.completed_at IS 'When the step ended; not before started_at.';
COMMENT ON COLUMN agency.workflow_executions.retry_count IS 'Retries so far; 0 <= retry_count <= max_retries.';
COMMENT ON COLUMN agency.workflow_executions.max_retries IS 'Retries allowed.';
COMMENT ON COLUMN agency.workflow_executions.created_at IS 'When the execution row was created.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'workflow_executions', 'organization_id', 'internal'),
    ('agency', 'workflow_executions', 'execution_id', 'internal'),
    ('agency', 'workflow_executions', 'client_id', 'internal'),
    ('agency', 'workflow_executions', 'workflow_id', 'internal'),
    ('agency', 'workflow_executions', 'step_name', 'internal'),
    ('agency', 'workflow_executions', 'step_type', 'internal'),
    ('agency', 'workflow_executions', 'execution_order', 'internal'),
    ('agency', 'workflow_executions', 'status', 'internal'),
    ('agency', 'workflow_executions', 'input_data', 'confidential'),
    ('agency', 'workflow_executions', 'output_data', 'confidential'),
    ('agency', 'workflow_executions', 'error_data', 'confidential'),
    ('agency', 'workflow_executions', 'execution_time_ms', 'internal'),
    ('agency', 'workflow_executions', 'started_at', 'internal'),
    ('agency', 'workflow_executions', 'completed_at', 'internal'),
    ('agency', 'workflow_executions', 'retry_count', 'internal'),
    ('agency', 'workflow_executions', 'max_retries', 'internal'),
    ('agency', 'workflow_executions', 'created_at', 'internal');

RESET ROLE;
