-- Migration: client_app_overrides_marketplace_indexes
-- Phase 1: the indexes of the new marketplace columns of agency.client_app_overrides, built
-- CONCURRENTLY (reads and writes continue) before their foreign keys exist (202611291522), so no
-- foreign key is ever unindexed. (organization_id, client_id, installation_id) serves the composite
-- key to the client's installation; (organization_id, activation_status) serves dashboards and the
-- phase-2 backfill's "not yet filled" search (activation_status IS NULL).
-- Each statement is re-runnable: a failed CONCURRENTLY build leaves an INVALID index, dropped first.
-- Locks: SHARE UPDATE EXCLUSIVE on agency.client_app_overrides (CONCURRENTLY; does not block reads or writes).
-- dbrun: transactional=false

DROP INDEX CONCURRENTLY IF EXISTS agency.idx_client_app_overrides_marketplace_module_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_client_app_overrides_marketplace_module_id
    ON agency.client_app_overrides (marketplace_module_id);
DROP INDEX CONCURRENTLY IF EXISTS agency.idx_client_app_overrides_client_installation;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_client_app_overrides_client_installation
    ON agency.client_app_overrides (organization_id, client_id, installation_id);
DROP INDEX CONCURRENTLY IF EXISTS agency.idx_client_app_overrides_organization_id_activation_status;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_client_app_overrides_organization_id_activation_status
    ON agency.client_app_overrides (organization_id, activation_status);

COMMENT ON INDEX agency.idx_client_app_overrides_marketplace_module_id IS 'FK to the catalog (a module is not delisted while configured).';
COMMENT ON INDEX agency.idx_client_app_overrides_client_installation IS 'Composite FK to the client''s installation.';
COMMENT ON INDEX agency.idx_client_app_overrides_organization_id_activation_status IS
    'Overrides by activation status; also finds rows the backfill has not filled (IS NULL).';
