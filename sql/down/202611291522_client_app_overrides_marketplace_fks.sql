-- Migration: client_app_overrides_marketplace_fks
-- Inverse of the up file: drops the two foreign keys.
-- Locks: ACCESS EXCLUSIVE on agency.client_app_overrides (DROP CONSTRAINT, catalog only) and the
--   foreign keys' triggers on agency.module_installations and agency.marketplace_modules.

ALTER TABLE agency.client_app_overrides
    DROP CONSTRAINT fk_client_app_overrides_installation_id,
    DROP CONSTRAINT fk_client_app_overrides_marketplace_module_id;
