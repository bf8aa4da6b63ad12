-- Migration: marketplace_modules
-- Inverse of the up file: drops agency.marketplace_modules and its classification rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'marketplace_modules';
DROP TABLE agency.marketplace_modules;
