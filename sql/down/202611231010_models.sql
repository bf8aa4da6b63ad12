-- Migration: models
-- Inverse of the up file: drops the model registry and its classification rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'core' AND table_name = 'models';

-- Why: policies and triggers go with the table.
DROP TABLE core.models;
