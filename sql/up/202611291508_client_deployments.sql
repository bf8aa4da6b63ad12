-- Migration: client_deployments
-- Creates agency.client_deployments: deployments of a client's product to an environment and their
-- outcome. A deployment that ended has completed_at (completed, failed or rolled back).

SET LOCAL ROLE app_owner;

-- Why: client-scoped tenant table; (organization_id, client_id, deployment_id) is unique so a
-- handover package can reference a deployment of its own client only.
CREATE TABLE agency.client_deployments (
    organization_id uuid NOT NULL,
    deployment_id uuid NOT NULL DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    environment text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    started_at timestamptz,
    completed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_client_deployments PRIMARY KEY (organization_id, deployment_id),
    CONSTRAINT uq_client_deployments_client_deployment UNIQUE (organization_id, client_id, deployment_id),
    CONSTRAINT fk_client_deployments_client_id FOREIGN KEY (organization_id, client_id)
        REFERENCES agency.clients (organization_id, client_id) ON DELETE CASCADE,
    CONSTRAINT ck_client_deployments_environment CHECK (environment IN ('development', 'staging', 'production')),
    CONSTRAINT ck_client_deployments_status CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'rolled_back')),
    CONSTRAINT ck_client_deployments_completed_consistent
        CHECK ((status IN ('completed', 'failed', 'rolled_back')) = (completed_at IS NOT NULL)),
    CONSTRAINT ck_client_deployments_started_consistent CHECK (status = 'pending' OR started_at IS NOT NULL),
    CONSTRAINT ck_client_deployments_completed_after_started CHECK (completed_at >= started_at)
);
ALTER TABLE agency.client_deployments ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.client_deployments FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE agency.client_deployments IS 'Deployments of a client''s product and their outcome.';
COMMENT ON CONSTRAINT uq_client_deployments_client_deployment ON agency.client_deployments IS
    'Target of composite foreign keys that must stay within one client.';
COMMENT ON COLUMN agency.client_deployments.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.client_deployments.deployment_id IS 'Deployment id (unique within the agency).';
COMMENT ON COLUMN agency.client_deployments.client_id IS 'Client of the same agency deployed.';
COMMENT ON COLUMN agency.client_deployments.environment IS 'development, staging or production.';
COMMENT ON COLUMN agency.client_deployments.status IS 'pending, in_progress, completed, failed or rolled_back.';
COMMENT ON COLUMN agency.client_deployments.started_at IS 'When the deployment started; set unless pending.';
COMMENT ON COLUMN agency.client_deployments.completed_at IS 'When it ended; set exactly when completed, failed or rolled back; not before started_at.';
COMMENT ON COLUMN agency.client_deployments.created_at IS 'When the deployment was requested.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'client_deployments', 'organization_id', 'internal'),
    ('agency', 'client_deployments', 'deployment_id', 'internal'),
    ('agency', 'client_deployments', 'client_id', 'internal'),
    ('agency', 'client_deployments', 'environment', 'internal'),
    ('agency', 'client_deployments', 'status', 'internal'),
    ('agency', 'client_deployments', 'started_at', 'internal'),
    ('agency', 'client_deployments', 'completed_at', 'internal'),
    ('agency', 'client_deployments', 'created_at', 'internal');

RESET ROLE;
