-- Migration: feedback_intelligence
-- Inverse of the up file: drops venture.feedback_intelligence and its classification rows.
-- Locks: ACCESS EXCLUSIVE on venture.ventures, venture.customers and core.models (dropping the table drops its foreign keys'
-- triggers there); ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'venture' AND table_name = 'feedback_intelligence';

-- Why: indexes, policies and triggers go with the table.
DROP TABLE venture.feedback_intelligence;
