-- Migration: module_installations
-- Creates agency.module_installations: a marketplace module installed for a client of an agency
-- (the seed's tenant_id is the client). Tenant rows referencing the platform catalog. The key
-- (organization_id, client_id, installation_id) is unique too, so rows that must stay with one
-- client (overrides, handover packages) reference an installation of that same client.

SET LOCAL ROLE app_owner;

-- Why: client-scoped tenant table referencing the platform catalog.
CREATE TABLE agency.module_installations (
    organization_id uuid NOT NULL,
    installation_id uuid NOT NULL DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    module_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'installing',
    installed_at timestamptz NOT NULL DEFAULT now(),
    uninstalled_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_module_installations PRIMARY KEY (organization_id, installation_id),
    CONSTRAINT uq_module_installations_client_installation
        UNIQUE (organization_id, client_id, installation_id),
    CONSTRAINT fk_module_installations_client_id FOREIGN KEY (organization_id, client_id)
        REFERENCES agency.clients (organization_id, client_id) ON DELETE CASCADE,
    CONSTRAINT fk_module_installations_module_id FOREIGN KEY (module_id)
        REFERENCES agency.marketplace_modules (module_id) ON DELETE RESTRICT,
    CONSTRAINT ck_module_installations_status CHECK (status IN ('installing', 'active', 'suspended', 'uninstalled')),
    CONSTRAINT ck_module_installations_uninstalled_consistent CHECK ((status = 'uninstalled') = (uninstalled_at IS NOT NULL)),
    CONSTRAINT ck_module_installations_uninstalled_after_installed CHECK (uninstalled_at >= installed_at)
);
ALTER TABLE agency.module_installations ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.module_installations FORCE ROW LEVEL SECURITY;

-- Why: the foreign key to the catalog (a module cannot be delisted while installed).
CREATE INDEX idx_module_installations_module_id ON agency.module_installations (module_id);

COMMENT ON TABLE agency.module_installations IS 'Marketplace modules installed for a client of an agency.';
COMMENT ON CONSTRAINT uq_module_installations_client_installation ON agency.module_installations IS
    'Target of composite foreign keys that must stay within one client.';
COMMENT ON COLUMN agency.module_installations.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.module_installations.installation_id IS 'Installation id (unique within the agency).';
COMMENT ON COLUMN agency.module_installations.client_id IS 'Client of the same agency the module is installed for.';
COMMENT ON COLUMN agency.module_installations.module_id IS 'Module of agency.marketplace_modules.';
COMMENT ON COLUMN agency.module_installations.status IS 'installing, active, suspended or uninstalled.';
COMMENT ON COLUMN agency.module_installations.installed_at IS 'When the installation started.';
COMMENT ON COLUMN agency.module_installations.uninstalled_at IS 'When it was uninstalled; set exactly when status is uninstalled.';
COMMENT ON COLUMN agency.module_installations.updated_at IS 'Last change, maintained by trg_module_installations_updated_at.';
COMMENT ON INDEX agency.idx_module_installations_module_id IS 'FK to the catalog.';

CREATE TRIGGER trg_module_installations_updated_at
    BEFORE UPDATE ON agency.module_installations
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: privileged table (what runs for a client); ALWAYS: replica mode too.
CREATE TRIGGER trg_module_installations_audit
    AFTER INSERT OR UPDATE OR DELETE ON agency.module_installations
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE agency.module_installations ENABLE ALWAYS TRIGGER trg_module_installations_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'module_installations', 'organization_id', 'internal'),
    ('agency', 'module_installations', 'installation_id', 'internal'),
    ('agency', 'module_installations', 'client_id', 'internal'),
    ('agency', 'module_installations', 'module_id', 'internal'),
    ('agency', 'module_installations', 'status', 'internal'),
    ('agency', 'module_installations', 'installed_at', 'internal'),
    ('agency', 'module_installations', 'uninstalled_at', 'internal'),
    ('agency', 'module_installations', 'updated_at', 'internal');

RESET ROLE;
