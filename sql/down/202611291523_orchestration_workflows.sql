-- Migration: orchestration_workflows
-- Inverse of the up file: drops agency.orchestration_workflows and its classification rows.
-- unified_client_dashboard (views/) reads it: dropped first, re-created by the next `dbrun up`.
-- Locks: SHARE ROW EXCLUSIVE on agency.clients (its foreign key goes);
--   ROW EXCLUSIVE on governance.column_classifications (DELETE).

DROP VIEW IF EXISTS agency.unified_client_dashboard;
DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'orchestration_workflows';
DROP TABLE agency.orchestration_workflows;
