-- Migration: client_app_overrides_marketplace_indexes
-- Inverse of the up file: drops the three indexes CONCURRENTLY (re-runnable).
-- Locks: SHARE UPDATE EXCLUSIVE on agency.client_app_overrides (CONCURRENTLY).
-- dbrun: transactional=false

DROP INDEX CONCURRENTLY IF EXISTS agency.idx_client_app_overrides_organization_id_activation_status;
DROP INDEX CONCURRENTLY IF EXISTS agency.idx_client_app_overrides_client_installation;
DROP INDEX CONCURRENTLY IF EXISTS agency.idx_client_app_overrides_marketplace_module_id;
