-- Migration: module_licenses
-- Creates agency.module_licenses: the license of a marketplace module held for a client. The
-- license key is a secret: only its HMAC-SHA256 (computed by the application with its environment
-- key, 32 bytes) is stored, classified secret, never readable by app_ro nor shown by any view.

SET LOCAL ROLE app_owner;

-- Why: client-scoped tenant table; one license per client and module.
CREATE TABLE agency.module_licenses (
    organization_id uuid NOT NULL,
    license_id uuid NOT NULL DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    module_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'active',
    license_key_hmac bytea NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_module_licenses PRIMARY KEY (organization_id, license_id),
    CONSTRAINT uq_module_licenses_organization_id_client_id_module_id UNIQUE (organization_id, client_id, module_id),
    CONSTRAINT fk_module_licenses_client_id FOREIGN KEY (organization_id, client_id)
        REFERENCES agency.clients (organization_id, client_id) ON DELETE CASCADE,
    CONSTRAINT fk_module_licenses_module_id FOREIGN KEY (module_id)
        REFERENCES agency.marketplace_modules (module_id) ON DELETE RESTRICT,
    CONSTRAINT ck_module_licenses_license_key_hmac_length CHECK (pg_catalog.octet_length(license_key_hmac) = 32),
    CONSTRAINT ck_module_licenses_status CHECK (status IN ('active', 'expired', 'revoked')),
    CONSTRAINT ck_module_licenses_expires_after_issued CHECK (expires_at > issued_at)
);
ALTER TABLE agency.module_licenses ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.module_licenses FORCE ROW LEVEL SECURITY;

-- Why: the foreign key to the catalog.
CREATE INDEX idx_module_licenses_module_id ON agency.module_licenses (module_id);

COMMENT ON TABLE agency.module_licenses IS 'Licenses of marketplace modules held for a client; the key is stored as an HMAC only.';
COMMENT ON COLUMN agency.module_licenses.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.module_licenses.license_id IS 'License id (unique within the agency).';
COMMENT ON COLUMN agency.module_licenses.client_id IS 'Client of the same agency holding the license.';
COMMENT ON COLUMN agency.module_licenses.module_id IS 'Licensed module of agency.marketplace_modules.';
COMMENT ON COLUMN agency.module_licenses.license_key_hmac IS
    'HMAC-SHA256(environment key, license key) computed by the application: 32 bytes. Secret: never readable by app_ro.';
COMMENT ON COLUMN agency.module_licenses.status IS 'active, expired or revoked.';
COMMENT ON COLUMN agency.module_licenses.issued_at IS 'When the license was issued.';
COMMENT ON COLUMN agency.module_licenses.expires_at IS 'When it expires (after issued_at); NULL for a perpetual license.';
COMMENT ON COLUMN agency.module_licenses.updated_at IS 'Last change, maintained by trg_module_licenses_updated_at.';
COMMENT ON INDEX agency.idx_module_licenses_module_id IS 'FK to the catalog.';

CREATE TRIGGER trg_module_licenses_updated_at
    BEFORE UPDATE ON agency.module_licenses
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: holds a secret column; ALWAYS: replica mode too.
CREATE TRIGGER trg_module_licenses_audit
    AFTER INSERT OR UPDATE OR DELETE ON agency.module_licenses
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE agency.module_licenses ENABLE ALWAYS TRIGGER trg_module_licenses_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification, note) VALUES
    ('agency', 'module_licenses', 'organization_id', 'internal', NULL),
    ('agency', 'module_licenses', 'license_id', 'internal', NULL),
    ('agency', 'module_licenses', 'client_id', 'internal', NULL),
    ('agency', 'module_licenses', 'module_id', 'internal', NULL),
    ('agency', 'module_licenses', 'license_key_hmac', 'secret', 'keyed hash of a license key'),
    ('agency', 'module_licenses', 'status', 'internal', NULL),
    ('agency', 'module_licenses', 'issued_at', 'internal', NULL),
    ('agency', 'module_licenses', 'expires_at', 'internal', NULL),
    ('agency', 'module_licenses', 'updated_at', 'internal', NULL);

RESET ROLE;
