-- Migration: module_installations
-- Inverse of the up file: drops agency.module_installations and its classification rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'module_installations';
DROP TABLE agency.module_installations;
