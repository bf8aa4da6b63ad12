-- Migration: handover_packages
-- Inverse of the up file: drops agency.handover_packages and its classification rows.
-- unified_client_dashboard (views/) reads it: dropped first, re-created by the next `dbrun up`.
-- Locks: SHARE ROW EXCLUSIVE on agency.clients, agency.orchestration_workflows and
--   agency.client_deployments (its foreign keys go); ROW EXCLUSIVE on governance.column_classifications.

DROP VIEW IF EXISTS agency.unified_client_dashboard;
DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'handover_packages';
DROP TABLE agency.handover_packages;
