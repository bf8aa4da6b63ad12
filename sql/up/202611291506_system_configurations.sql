-- Migration: system_configurations
-- Creates agency.system_configurations: namespaced configuration values of a client (one value per
-- client, namespace and key). Agency-wide defaults are not stored here (they belong to the agency's
-- settings, not to a client).

SET LOCAL ROLE app_owner;

-- Why: client-scoped tenant table; (organization_id, client_id, configuration_id) is unique so a
-- handover package can reference a configuration of its own client only.
CREATE TABLE agency.system_configurations (
    organization_id uuid NOT NULL,
    configuration_id uuid NOT NULL DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    namespace text NOT NULL,
    config_key text NOT NULL,
    config_value jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_system_configurations PRIMARY KEY (organization_id, configuration_id),
    CONSTRAINT uq_system_configurations_client_namespace_key UNIQUE (organization_id, client_id, namespace, config_key),
    CONSTRAINT uq_system_configurations_client_configuration UNIQUE (organization_id, client_id, configuration_id),
    CONSTRAINT fk_system_configurations_client_id FOREIGN KEY (organization_id, client_id)
        REFERENCES agency.clients (organization_id, client_id) ON DELETE CASCADE,
    CONSTRAINT ck_system_configurations_namespace_format CHECK (namespace ~ '^[a-z][a-z0-9_.]{0,62}$'),
    CONSTRAINT ck_system_configurations_config_key_length CHECK (pg_catalog.char_length(config_key) BETWEEN 1 AND 200),
    CONSTRAINT ck_system_configurations_updated_after_created CHECK (updated_at >= created_at)
);
ALTER TABLE agency.system_configurations ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.system_configurations FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE agency.system_configurations IS 'Namespaced configuration values of a client.';
COMMENT ON CONSTRAINT uq_system_configurations_client_configuration ON agency.system_configurations IS
    'Target of composite foreign keys that must stay within one client.';
COMMENT ON COLUMN agency.system_configurations.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.system_configurations.configuration_id IS 'Configuration id (unique within the agency).';
COMMENT ON COLUMN agency.system_configurations.client_id IS 'Client of the same agency the value belongs to.';
COMMENT ON COLUMN agency.system_configurations.namespace IS 'Namespace (lowercase, dots), e.g. seo, mail.smtp.';
COMMENT ON COLUMN agency.system_configurations.config_key IS 'Key within the namespace; unique per client and namespace.';
COMMENT ON COLUMN agency.system_configurations.config_value IS 'The value (any JSON). No secrets: store a reference instead.';
COMMENT ON COLUMN agency.system_configurations.created_at IS 'When the value was created.';
COMMENT ON COLUMN agency.system_configurations.updated_at IS 'Last change, maintained by trg_system_configurations_updated_at.';

CREATE TRIGGER trg_system_configurations_updated_at
    BEFORE UPDATE ON agency.system_configurations
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: privileged table (settings); ALWAYS: replica mode too.
CREATE TRIGGER trg_system_configurations_audit
    AFTER INSERT OR UPDATE OR DELETE ON agency.system_configurations
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE agency.system_configurations ENABLE ALWAYS TRIGGER trg_system_configurations_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'system_configurations', 'organization_id', 'internal'),
    ('agency', 'system_configurations', 'configuration_id', 'internal'),
    ('agency', 'system_configurations', 'client_id', 'internal'),
    ('agency', 'system_configurations', 'namespace', 'internal'),
    ('agency', 'system_configurations', 'config_key', 'internal'),
    ('agency', 'system_configurations', 'config_value', 'confidential'),
    ('agency', 'system_configurations', 'created_at', 'internal'),
    ('agency', 'system_configurations', 'updated_at', 'internal');

RESET ROLE;
