-- Migration: erasure_handlers
-- Inverse of the up file: completion goes back to the SECURITY INVOKER function that erases core
-- tables inline; the guard trigger, the handler registry, the subject kinds, core.erase_user() and
-- erasure_requests.subject_type go. Requests of another subject kind must be gone first (the down of
-- the domain that registered the kind removes them), or SET NOT NULL on user_id fails.
-- Locks: ACCESS EXCLUSIVE on governance.erasure_requests (DROP TRIGGER, DROP COLUMN, SET NOT NULL:
-- a scan of a small table); ROW EXCLUSIVE on governance.column_classifications (DELETE).

SET LOCAL ROLE app_owner;

DROP TRIGGER trg_erasure_requests_guard ON governance.erasure_requests;
DROP FUNCTION governance.tg_erasure_requests_guard();

-- Why: the body and security of 202611231030, unchanged.
CREATE OR REPLACE FUNCTION governance.complete_erasure_request(p_erasure_request_id uuid)
RETURNS governance.erasure_requests
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_request governance.erasure_requests;
BEGIN
    SELECT r.* INTO v_request
    FROM governance.erasure_requests AS r
    WHERE r.erasure_request_id = p_erasure_request_id AND r.status = 'pending'
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no pending erasure request % in the current organization', p_erasure_request_id
            USING ERRCODE = 'no_data_found',
                  HINT = 'set app.org_id to the request''s organization; completed requests cannot be completed again';
    END IF;

    UPDATE core.users AS u
    SET email_hmac = NULL,
        display_name = NULL,
        password_hash = NULL,
        last_login_at = NULL,
        last_seen_at = NULL,
        deleted_at = coalesce(u.deleted_at, pg_catalog.now()),
        anonymised_at = pg_catalog.now()
    WHERE u.organization_id = v_request.organization_id AND u.user_id = v_request.user_id;

    UPDATE core.api_keys AS k
    SET status = 'revoked', revoked_at = pg_catalog.now()
    WHERE k.organization_id = v_request.organization_id AND k.user_id = v_request.user_id
      AND k.status <> 'revoked';

    UPDATE governance.erasure_requests AS r
    SET status = 'completed', completed_at = pg_catalog.now()
    WHERE r.organization_id = v_request.organization_id AND r.erasure_request_id = v_request.erasure_request_id
    RETURNING r.* INTO v_request;
    RETURN v_request;
END
$fn$;
COMMENT ON FUNCTION governance.complete_erasure_request(uuid) IS
    'Completes a pending erasure request of the current tenant: anonymises the user, revokes their keys, '
    'marks the request completed. Raises P0002 (no_data_found) when no such pending request is visible.';

-- Why: the handler takes the request row type; drop it before the column changes that row type.
DROP FUNCTION core.erase_user(governance.erasure_requests);

DROP INDEX governance.idx_erasure_requests_subject_type; -- noqa: SQ-require-concurrent-index-deletion one row per erasure request: a short drop
ALTER TABLE governance.erasure_requests DROP CONSTRAINT ck_erasure_requests_user_subject;
ALTER TABLE governance.erasure_requests DROP CONSTRAINT fk_erasure_requests_subject_type;
ALTER TABLE governance.erasure_requests DROP COLUMN subject_type;
ALTER TABLE governance.erasure_requests ALTER COLUMN user_id SET NOT NULL; -- noqa: SQ-adding-not-nullable-field restores the NOT NULL of 202611231030; a short scan
COMMENT ON COLUMN governance.erasure_requests.user_id IS 'User to erase, in the same tenant (composite foreign key).';

DELETE FROM governance.column_classifications
WHERE (schema_name, table_name) IN (('governance', 'erasure_subjects'), ('governance', 'erasure_handlers'))
   OR (schema_name, table_name, column_name) = ('governance', 'erasure_requests', 'subject_type');

-- Why: policies and triggers go with the tables.
DROP TABLE governance.erasure_handlers;
DROP TABLE governance.erasure_subjects;

RESET ROLE;
