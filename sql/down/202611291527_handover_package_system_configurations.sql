-- Migration: handover_package_system_configurations
-- Inverse of the up file: drops agency.handover_package_system_configurations and its classification rows.
-- Locks: SHARE ROW EXCLUSIVE on agency.handover_packages and agency.system_configurations (its foreign keys go);
--   ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'handover_package_system_configurations';
DROP TABLE agency.handover_package_system_configurations;
