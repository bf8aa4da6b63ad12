-- Migration: client_deployments
-- Inverse of the up file: drops agency.client_deployments and its classification rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'client_deployments';
DROP TABLE agency.client_deployments;
