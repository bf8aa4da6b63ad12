-- Migration: system_configurations
-- Inverse of the up file: drops agency.system_configurations and its classification rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'system_configurations';
DROP TABLE agency.system_configurations;
