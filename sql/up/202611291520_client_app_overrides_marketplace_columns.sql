-- Migration: client_app_overrides_marketplace_columns
-- Phase 1 of the unification (zero downtime, on a populated table): extends the existing
-- agency.client_app_overrides with marketplace references: the catalog module, the client's
-- installation, an activation status and activation metadata. Every column is nullable with no
-- default, and the two CHECKs are added NOT VALID, so the ALTER changes the catalog only (no table
-- rewrite, no scan). Non-transactional: each statement commits on its own, so the ACCESS EXCLUSIVE
-- lock the ALTER needs is held for that one statement, not for the comments and classification rows
-- that follow; a short lock_timeout keeps it from queueing in front of traffic (dbrun retries).
-- Phase 2 (202611291530) fills the columns in batches; 202611291540 validates the CHECKs.
-- Locks: ACCESS EXCLUSIVE on agency.client_app_overrides (catalog-only ALTER, for its statement);
--   ROW EXCLUSIVE on governance.column_classifications (INSERT).
-- dbrun: transactional=false lock_timeout=2s

ALTER TABLE agency.client_app_overrides -- noqa: DR05 non-transactional on purpose: ACCESS EXCLUSIVE must end with this statement
    ADD COLUMN IF NOT EXISTS marketplace_module_id uuid,
    ADD COLUMN IF NOT EXISTS installation_id uuid,
    ADD COLUMN IF NOT EXISTS activation_status text,
    ADD COLUMN IF NOT EXISTS activation_metadata jsonb,
    ADD CONSTRAINT ck_client_app_overrides_activation_status -- noqa: SQ-prefer-robust-stmts atomic; a resumed run skips it once committed
        CHECK (activation_status IN ('pending', 'active', 'disabled', 'failed')) NOT VALID,
    ADD CONSTRAINT ck_client_app_overrides_activation_metadata_object -- noqa: SQ-prefer-robust-stmts atomic; a resumed run skips it once committed
        CHECK (pg_catalog.jsonb_typeof(activation_metadata) = 'object') NOT VALID;

COMMENT ON COLUMN agency.client_app_overrides.marketplace_module_id IS
    'Marketplace module the override configures (the catalog module whose slug is app_key); NULL for a non-marketplace app.';
COMMENT ON COLUMN agency.client_app_overrides.installation_id IS
    'Installation of that module for the same client; NULL when not installed (or the installation was removed).';
COMMENT ON COLUMN agency.client_app_overrides.activation_status IS
    'pending, active, disabled or failed; NULL only on rows the phase-2 backfill has not reached yet.';
COMMENT ON COLUMN agency.client_app_overrides.activation_metadata IS
    'Activation details (JSON object): who or what activated it, and backfill provenance.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'client_app_overrides', 'marketplace_module_id', 'internal'),
    ('agency', 'client_app_overrides', 'installation_id', 'internal'),
    ('agency', 'client_app_overrides', 'activation_status', 'internal'),
    ('agency', 'client_app_overrides', 'activation_metadata', 'internal')
ON CONFLICT DO NOTHING;
