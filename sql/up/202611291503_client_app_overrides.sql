-- Migration: client_app_overrides
-- Creates agency.client_app_overrides: per-client module switches and settings, the agency's
-- original "module" mechanism (an app key and a settings object per client), before the marketplace
-- existed. Client-scoped: every row carries (organization_id, client_id).

SET LOCAL ROLE app_owner;

-- Why: client-scoped tenant table; one override per client and app key.
CREATE TABLE agency.client_app_overrides (
    organization_id uuid NOT NULL,
    override_id uuid NOT NULL DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    app_key text NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    override_settings jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_client_app_overrides PRIMARY KEY (organization_id, override_id),
    CONSTRAINT uq_client_app_overrides_organization_id_client_id_app_key UNIQUE (organization_id, client_id, app_key),
    CONSTRAINT fk_client_app_overrides_client_id FOREIGN KEY (organization_id, client_id)
        REFERENCES agency.clients (organization_id, client_id) ON DELETE CASCADE,
    CONSTRAINT ck_client_app_overrides_app_key_format CHECK (app_key ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    CONSTRAINT ck_client_app_overrides_override_settings_object CHECK (pg_catalog.jsonb_typeof(override_settings) = 'object'),
    CONSTRAINT ck_client_app_overrides_updated_after_created CHECK (updated_at >= created_at)
);
ALTER TABLE agency.client_app_overrides ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.client_app_overrides FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE agency.client_app_overrides IS 'Per-client module switches and settings, keyed by app key.';
COMMENT ON COLUMN agency.client_app_overrides.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.client_app_overrides.override_id IS 'Override id (unique within the agency).';
COMMENT ON COLUMN agency.client_app_overrides.client_id IS 'Client of the same agency the override applies to.';
COMMENT ON COLUMN agency.client_app_overrides.app_key IS 'Module key (a marketplace module slug for marketplace modules); unique per client.';
COMMENT ON COLUMN agency.client_app_overrides.enabled IS 'Whether the module is switched on for the client.';
COMMENT ON COLUMN agency.client_app_overrides.override_settings IS 'Module settings for the client (JSON object). No secrets.';
COMMENT ON COLUMN agency.client_app_overrides.created_at IS 'When the override was created.';
COMMENT ON COLUMN agency.client_app_overrides.updated_at IS 'Last change, maintained by trg_client_app_overrides_updated_at.';

CREATE TRIGGER trg_client_app_overrides_updated_at
    BEFORE UPDATE ON agency.client_app_overrides
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: privileged table (settings of a client's product); ALWAYS: replica mode too.
CREATE TRIGGER trg_client_app_overrides_audit
    AFTER INSERT OR UPDATE OR DELETE ON agency.client_app_overrides
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE agency.client_app_overrides ENABLE ALWAYS TRIGGER trg_client_app_overrides_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'client_app_overrides', 'organization_id', 'internal'),
    ('agency', 'client_app_overrides', 'override_id', 'internal'),
    ('agency', 'client_app_overrides', 'client_id', 'internal'),
    ('agency', 'client_app_overrides', 'app_key', 'internal'),
    ('agency', 'client_app_overrides', 'enabled', 'internal'),
    ('agency', 'client_app_overrides', 'override_settings', 'confidential'),
    ('agency', 'client_app_overrides', 'created_at', 'internal'),
    ('agency', 'client_app_overrides', 'updated_at', 'internal');

RESET ROLE;
