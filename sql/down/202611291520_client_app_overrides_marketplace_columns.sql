-- Migration: client_app_overrides_marketplace_columns
-- Inverse of the up file: removes the marketplace columns, their CHECKs and classification rows.
-- Re-runnable (IF EXISTS): the up file is non-transactional, so this may undo a half-applied up.
-- module_integration_view (views/) reads installation_id: it is dropped first and re-created by
-- the next `dbrun up`. Dropping columns changes the catalog only (no rewrite).
-- Locks: ACCESS EXCLUSIVE on agency.client_app_overrides (catalog-only ALTER);
--   ROW EXCLUSIVE on governance.column_classifications (DELETE).

DROP VIEW IF EXISTS agency.module_integration_view;

DELETE FROM governance.column_classifications
WHERE schema_name = 'agency' AND table_name = 'client_app_overrides'
  AND column_name IN ('marketplace_module_id', 'installation_id', 'activation_status', 'activation_metadata');

ALTER TABLE agency.client_app_overrides
    DROP CONSTRAINT IF EXISTS ck_client_app_overrides_activation_metadata_object,
    DROP CONSTRAINT IF EXISTS ck_client_app_overrides_activation_status,
    DROP COLUMN IF EXISTS activation_metadata,
    DROP COLUMN IF EXISTS activation_status,
    DROP COLUMN IF EXISTS installation_id,
    DROP COLUMN IF EXISTS marketplace_module_id;
