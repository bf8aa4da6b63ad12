-- Migration: validate_override_marketplace_constraints
-- Phase 3 (validation): validates the foreign keys and CHECKs added NOT VALID in phase 1, now that the
-- phase-2 backfill has filled the columns. VALIDATE scans the table under SHARE UPDATE EXCLUSIVE
-- (reads and writes continue; the referenced tables get ROW SHARE), so it is safe on a live table.
-- A violating row fails this migration with the constraint's name (23503 / 23514) and nothing changes.
-- Locks: SHARE UPDATE EXCLUSIVE on agency.client_app_overrides; ROW SHARE on agency.module_installations
--   and agency.marketplace_modules.

ALTER TABLE agency.client_app_overrides VALIDATE CONSTRAINT fk_client_app_overrides_marketplace_module_id;
ALTER TABLE agency.client_app_overrides VALIDATE CONSTRAINT fk_client_app_overrides_installation_id;
ALTER TABLE agency.client_app_overrides VALIDATE CONSTRAINT ck_client_app_overrides_activation_status;
ALTER TABLE agency.client_app_overrides VALIDATE CONSTRAINT ck_client_app_overrides_activation_metadata_object;
