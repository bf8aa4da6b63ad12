-- Migration: erasure_requests
-- Inverse of the up file: drops the completion function, governance.erasure_requests and its
-- classification and retention rows, and the schema usage granted to the app roles.
-- Locks: ROW EXCLUSIVE on governance.column_classifications and governance.retention_policies (DELETE).

REVOKE USAGE ON SCHEMA governance FROM app_rw, app_ro;

-- Why: the function returns the table's row type; drop it first.
DROP FUNCTION governance.complete_erasure_request(uuid);

DELETE FROM governance.retention_policies WHERE schema_name = 'governance' AND table_name = 'erasure_requests';
DELETE FROM governance.column_classifications WHERE schema_name = 'governance' AND table_name = 'erasure_requests';

-- Why: indexes, policies and triggers go with the table.
DROP TABLE governance.erasure_requests;
