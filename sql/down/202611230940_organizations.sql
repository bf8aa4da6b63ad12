-- Migration: organizations
-- Inverse of the up file: drops core.organizations, its classification and retention rows, the
-- shared updated_at trigger function and the core schema.
-- Locks: ROW EXCLUSIVE on governance.column_classifications and governance.retention_policies (DELETE).

DELETE FROM governance.retention_policies WHERE schema_name = 'core' AND table_name = 'organizations';
DELETE FROM governance.column_classifications WHERE schema_name = 'core' AND table_name = 'organizations';

-- Why: policies and triggers go with the table.
DROP TABLE core.organizations;
DROP FUNCTION app.tg_set_updated_at();
DROP SCHEMA core;
