-- Migration: ventures
-- Inverse of the up file: drops venture.ventures, its classification and retention rows, and the
-- venture schema.
-- Locks: ACCESS EXCLUSIVE on core.organizations (dropping the table drops its foreign keys'
-- triggers there); ROW EXCLUSIVE on governance.column_classifications and
-- governance.retention_policies (DELETE).

REVOKE USAGE ON SCHEMA venture FROM app_rw, app_ro;

DELETE FROM governance.retention_policies WHERE schema_name = 'venture' AND table_name = 'ventures';
DELETE FROM governance.column_classifications WHERE schema_name = 'venture' AND table_name = 'ventures';

-- Why: indexes, policies and triggers go with the table.
DROP TABLE venture.ventures;
DROP SCHEMA venture;
