-- Migration: clients
-- Inverse of the up file: drops agency.visible_client_ids(), agency.clients and its classification rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'clients';
DROP FUNCTION agency.visible_client_ids();
DROP TABLE agency.clients;
