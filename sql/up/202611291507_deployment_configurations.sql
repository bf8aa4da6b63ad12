-- Migration: deployment_configurations
-- Creates agency.deployment_configurations: the deployment settings of a client per environment
-- (development, staging, production), one row per client and environment.

SET LOCAL ROLE app_owner;

-- Why: client-scoped tenant table; (organization_id, client_id, configuration_id) is unique so a
-- handover package can reference a configuration of its own client only.
CREATE TABLE agency.deployment_configurations (
    organization_id uuid NOT NULL,
    configuration_id uuid NOT NULL DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    environment text NOT NULL,
    settings jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_deployment_configurations PRIMARY KEY (organization_id, configuration_id),
    CONSTRAINT uq_deployment_configurations_client_environment UNIQUE (organization_id, client_id, environment),
    CONSTRAINT uq_deployment_configurations_client_configuration UNIQUE (organization_id, client_id, configuration_id),
    CONSTRAINT fk_deployment_configurations_client_id FOREIGN KEY (organization_id, client_id)
        REFERENCES agency.clients (organization_id, client_id) ON DELETE CASCADE,
    CONSTRAINT ck_deployment_configurations_environment CHECK (environment IN ('development', 'staging', 'production')),
    CONSTRAINT ck_deployment_configurations_settings_object CHECK (pg_catalog.jsonb_typeof(settings) = 'object'),
    CONSTRAINT ck_deployment_configurations_updated_after_created CHECK (updated_at >= created_at)
);
ALTER TABLE agency.deployment_configurations ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.deployment_configurations FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE agency.deployment_configurations IS 'Deployment settings of a client, one row per environment.';
COMMENT ON CONSTRAINT uq_deployment_configurations_client_configuration ON agency.deployment_configurations IS
    'Target of composite foreign keys that must stay within one client.';
COMMENT ON COLUMN agency.deployment_configurations.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.deployment_configurations.configuration_id IS 'Configuration id (unique within the agency).';
COMMENT ON COLUMN agency.deployment_configurations.client_id IS 'Client of the same agency.';
COMMENT ON COLUMN agency.deployment_configurations.environment IS 'development, staging or production; one row per client and environment.';
COMMENT ON COLUMN agency.deployment_configurations.settings IS 'Deployment settings (JSON object): hosting, domains, build. No secrets.';
COMMENT ON COLUMN agency.deployment_configurations.created_at IS 'When the configuration was created.';
COMMENT ON COLUMN agency.deployment_configurations.updated_at IS 'Last change, maintained by trg_deployment_configurations_updated_at.';

CREATE TRIGGER trg_deployment_configurations_updated_at
    BEFORE UPDATE ON agency.deployment_configurations
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: privileged table (settings); ALWAYS: replica mode too.
CREATE TRIGGER trg_deployment_configurations_audit
    AFTER INSERT OR UPDATE OR DELETE ON agency.deployment_configurations
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE agency.deployment_configurations ENABLE ALWAYS TRIGGER trg_deployment_configurations_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'deployment_configurations', 'organization_id', 'internal'),
    ('agency', 'deployment_configurations', 'configuration_id', 'internal'),
    ('agency', 'deployment_configurations', 'client_id', 'internal'),
    ('agency', 'deployment_configurations', 'environment', 'internal'),
    ('agency', 'deployment_configurations', 'settings', 'confidential'),
    ('agency', 'deployment_configurations', 'created_at', 'internal'),
    ('agency', 'deployment_configurations', 'updated_at', 'internal');

RESET ROLE;
