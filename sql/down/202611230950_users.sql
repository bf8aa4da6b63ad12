-- Migration: users
-- Inverse of the up file: drops core.users and its classification and retention rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications and governance.retention_policies (DELETE).

DELETE FROM governance.retention_policies WHERE schema_name = 'core' AND table_name = 'users';
DELETE FROM governance.column_classifications WHERE schema_name = 'core' AND table_name = 'users';

-- Why: indexes, policies and triggers go with the table.
DROP TABLE core.users;
