-- Migration: audit_hash_chain
-- Inverse of the up file: drops the chain functions and audit.chain_links (the links go with it;
-- the events themselves are untouched) with its classification and retention rows.
-- Locks: ACCESS EXCLUSIVE on audit.chain_links (DROP TABLE); ROW EXCLUSIVE on governance.column_classifications and
-- governance.retention_policies (DELETE).

SET LOCAL ROLE app_owner;

DROP FUNCTION audit.chain_head();
DROP FUNCTION audit.verify_chain();
DROP FUNCTION audit.seal_events();

DELETE FROM governance.retention_policies WHERE schema_name = 'audit' AND table_name = 'chain_links';
DELETE FROM governance.column_classifications WHERE schema_name = 'audit' AND table_name = 'chain_links';

-- Why: its triggers and constraints go with the table.
DROP TABLE audit.chain_links;
DROP FUNCTION audit.tg_chain_links_append_only();

RESET ROLE;
