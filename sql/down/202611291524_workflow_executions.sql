-- Migration: workflow_executions
-- Inverse of the up file: drops agency.workflow_executions and its classification rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'workflow_executions';
DROP TABLE agency.workflow_executions;
