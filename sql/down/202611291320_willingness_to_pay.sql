-- Migration: willingness_to_pay
-- Inverse of the up file: drops venture.willingness_to_pay and its classification rows.
-- Locks: ACCESS EXCLUSIVE on venture.ventures and venture.customer_personas (dropping the table drops its foreign keys'
-- triggers there); ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'venture' AND table_name = 'willingness_to_pay';

-- Why: indexes, policies and triggers go with the table.
DROP TABLE venture.willingness_to_pay;
