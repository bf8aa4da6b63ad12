-- Migration: erase_leads
-- Restores the user-only completion function, drops the lead handler, the lead subject column (with
-- its key, index and CHECK) and its classification row; lead requests are removed first.
-- Locks: ACCESS EXCLUSIVE on governance.erasure_requests (DROP COLUMN, SET NOT NULL scan of a small table); SHARE ROW EXCLUSIVE on conversational.leads

-- Why: lead requests cannot exist without lead_id. Deleted as the runner's login (audited): the owner
-- role is filtered by FORCE RLS; a migrator without the privilege to see them fails below with 23502,
-- naming the column, instead of silently keeping requests it cannot see.
DELETE FROM governance.erasure_requests WHERE lead_id IS NOT NULL;

SET LOCAL ROLE app_owner;

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

DROP FUNCTION conversational.erase_lead(governance.erasure_requests);

DELETE FROM governance.column_classifications
WHERE (schema_name, table_name, column_name) = ('governance', 'erasure_requests', 'lead_id');
DROP INDEX governance.idx_erasure_requests_organization_id_lead_id; -- noqa: SQ-require-concurrent-index-deletion erasure_requests holds a few rows per tenant: the scan is short
ALTER TABLE governance.erasure_requests
    DROP CONSTRAINT fk_erasure_requests_lead_id,
    DROP CONSTRAINT ck_erasure_requests_one_subject,
    DROP COLUMN lead_id,
    ALTER COLUMN user_id SET NOT NULL; -- noqa: SQ-adding-not-nullable-field erasure_requests holds a few rows per tenant: the scan is short

RESET ROLE;
