-- Migration: handover_package_installations
-- Inverse of the up file: drops agency.handover_package_installations and its classification rows.
-- Locks: SHARE ROW EXCLUSIVE on agency.handover_packages and agency.module_installations (its foreign keys go);
--   ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'handover_package_installations';
DROP TABLE agency.handover_package_installations;
