-- Migration: api_keys
-- Inverse of the up file: drops the authentication function, core.api_keys and its classification
-- and retention rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications and governance.retention_policies (DELETE).

-- Why: the repeatable view and the function read the table; drop them first, then give app_auth back its schema privilege.
DROP VIEW IF EXISTS core.api_key_overview;
DROP FUNCTION app.authenticate_api_key(text, bytea);
REVOKE CREATE ON SCHEMA app FROM app_auth;

DELETE FROM governance.retention_policies WHERE schema_name = 'core' AND table_name = 'api_keys';
DELETE FROM governance.column_classifications WHERE schema_name = 'core' AND table_name = 'api_keys';

-- Why: indexes, policies and triggers go with the table.
DROP TABLE core.api_keys;
