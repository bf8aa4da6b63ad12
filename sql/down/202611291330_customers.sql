-- Migration: customers
-- Inverse of the up file: drops venture.customers and its classification rows.
-- Locks: ACCESS EXCLUSIVE on core.organizations (dropping the table drops its foreign keys'
-- triggers there); ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'venture' AND table_name = 'customers';

-- Why: indexes, policies and triggers go with the table.
DROP TABLE venture.customers;
