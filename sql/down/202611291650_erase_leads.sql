-- Migration: erase_leads
-- Inverse of the up file: lead erasure requests of every tenant go first (they name a subject kind
-- that is being removed; their evidence goes with it), then the handler and its registration,
-- erasure_requests.lead_id with its key, CHECK, index and classification, and the subject kind.
-- Locks: ACCESS EXCLUSIVE on governance.erasure_requests (NO FORCE/FORCE ROW LEVEL SECURITY, DROP
-- COLUMN); ROW EXCLUSIVE on governance.erasure_handlers, governance.erasure_subjects and
-- governance.column_classifications (DELETE).

SET LOCAL ROLE app_owner;

-- Why: the owner sees one tenant at a time (FORCE RLS); lifting FORCE inside this transaction is its
-- explicit opt-out to remove the requests of every tenant, restored before anyone else can see the table.
-- (The guard trigger fires on INSERT and UPDATE only: deleting a completed request is allowed here.)
ALTER TABLE governance.erasure_requests NO FORCE ROW LEVEL SECURITY;
DELETE FROM governance.erasure_requests WHERE subject_type = 'lead';
ALTER TABLE governance.erasure_requests FORCE ROW LEVEL SECURITY;

DELETE FROM governance.erasure_handlers WHERE subject_type = 'lead';
DROP FUNCTION conversational.erase_lead(governance.erasure_requests);

DROP INDEX governance.idx_erasure_requests_organization_id_lead_id; -- noqa: SQ-require-concurrent-index-deletion one row per erasure request: a short drop, and the table is locked for DROP COLUMN anyway
ALTER TABLE governance.erasure_requests DROP CONSTRAINT ck_erasure_requests_lead_subject;
ALTER TABLE governance.erasure_requests DROP CONSTRAINT fk_erasure_requests_lead_id;
ALTER TABLE governance.erasure_requests DROP COLUMN lead_id;
DELETE FROM governance.column_classifications
WHERE schema_name = 'governance' AND table_name = 'erasure_requests' AND column_name = 'lead_id';

DELETE FROM governance.erasure_subjects WHERE subject_type = 'lead';

RESET ROLE;
