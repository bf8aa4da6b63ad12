-- Migration: validate_override_marketplace_constraints
-- Inverse of the up file: PostgreSQL cannot mark a constraint not validated again, so each one is
-- dropped and re-added NOT VALID with the same definition (no scan): the state after 202611291522.
-- Locks: ACCESS EXCLUSIVE on agency.client_app_overrides (catalog only, no scan);
--   SHARE ROW EXCLUSIVE on agency.module_installations and agency.marketplace_modules.

ALTER TABLE agency.client_app_overrides
    DROP CONSTRAINT ck_client_app_overrides_activation_metadata_object,
    DROP CONSTRAINT ck_client_app_overrides_activation_status,
    DROP CONSTRAINT fk_client_app_overrides_installation_id,
    DROP CONSTRAINT fk_client_app_overrides_marketplace_module_id,
    ADD CONSTRAINT ck_client_app_overrides_activation_status
        CHECK (activation_status IN ('pending', 'active', 'disabled', 'failed')) NOT VALID,
    ADD CONSTRAINT ck_client_app_overrides_activation_metadata_object
        CHECK (pg_catalog.jsonb_typeof(activation_metadata) = 'object') NOT VALID,
    ADD CONSTRAINT fk_client_app_overrides_marketplace_module_id FOREIGN KEY (marketplace_module_id)
        REFERENCES agency.marketplace_modules (module_id) ON DELETE RESTRICT NOT VALID,
    ADD CONSTRAINT fk_client_app_overrides_installation_id FOREIGN KEY (organization_id, client_id, installation_id)
        REFERENCES agency.module_installations (organization_id, client_id, installation_id)
        ON DELETE SET NULL (installation_id) NOT VALID;
