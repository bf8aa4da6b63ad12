-- Migration: client_app_overrides
-- Inverse of the up file: drops agency.client_app_overrides and its classification rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'client_app_overrides';
DROP TABLE agency.client_app_overrides;
