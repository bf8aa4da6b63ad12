-- Migration: deployment_configurations
-- Inverse of the up file: drops agency.deployment_configurations and its classification rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'deployment_configurations';
DROP TABLE agency.deployment_configurations;
