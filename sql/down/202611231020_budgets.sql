-- Migration: budgets
-- Inverse of the up file: drops core.budgets, its CHECK helper and its classification rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'core' AND table_name = 'budgets';

-- Why: the table (its CHECKs use the helper) before the helper.
DROP TABLE core.budgets;
DROP FUNCTION app.is_strictly_ascending(numeric []);
