-- Migration: client_app_overrides_marketplace_fks
-- Phase 1: the foreign keys of the new marketplace columns, added NOT VALID: existing rows are not
-- scanned (new and updated rows are checked at once); 202611291540 validates them after the
-- phase-2 backfill, under SHARE UPDATE EXCLUSIVE. The installation key is composite
-- (organization_id, client_id, installation_id): an override can only point at an installation of
-- its own client in its own agency. Removing an installation clears the reference only
-- (SET NULL (installation_id)); a module cannot leave the catalog while configured (RESTRICT).
-- Locks: SHARE ROW EXCLUSIVE on agency.client_app_overrides, agency.module_installations and
--   agency.marketplace_modules (ADD FOREIGN KEY; blocks writes, not reads, for this short transaction).

ALTER TABLE agency.client_app_overrides
    ADD CONSTRAINT fk_client_app_overrides_marketplace_module_id FOREIGN KEY (marketplace_module_id)
        REFERENCES agency.marketplace_modules (module_id) ON DELETE RESTRICT NOT VALID,
    ADD CONSTRAINT fk_client_app_overrides_installation_id FOREIGN KEY (organization_id, client_id, installation_id)
        REFERENCES agency.module_installations (organization_id, client_id, installation_id)
        ON DELETE SET NULL (installation_id) NOT VALID;
