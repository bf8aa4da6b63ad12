-- Migration: icp_profiles
-- Inverse of the up file: drops venture.icp_profiles and its classification rows.
-- Locks: ACCESS EXCLUSIVE on venture.ventures (dropping the table drops its foreign keys'
-- triggers there); ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'venture' AND table_name = 'icp_profiles';

-- Why: indexes, policies and triggers go with the table.
DROP TABLE venture.icp_profiles;
