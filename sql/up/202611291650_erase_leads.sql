-- Migration: erase_leads
-- Leads' name, email and phone (and the end user's channel id and free-form extra data) are personal
-- data and erasable through the governance erasure flow: an erasure request may name a lead
-- (lead_id, composite key to conversational.leads) instead of a user; completing it runs the lead
-- handler conversational.erase_lead(request), written as issue 11's handlers are (plpgsql, VOLATILE,
-- SECURITY INVOKER so the caller's tenant confines it, pinned search_path, idempotent, returns the
-- rows changed, executable by nobody but through the completion function's caller's grants).
-- Locks: ACCESS EXCLUSIVE (catalog only, no scan) on governance.erasure_requests (ADD COLUMN, DROP NOT NULL, ADD CONSTRAINT: a scan of a small table); SHARE ROW EXCLUSIVE on conversational.leads (foreign key)

SET LOCAL ROLE app_owner;

-- Why: a request names exactly one subject: a platform user or a lead.
ALTER TABLE governance.erasure_requests
    ADD COLUMN lead_id bigint,
    ALTER COLUMN user_id DROP NOT NULL, -- noqa: SQ-ban-drop-not-null the one_subject CHECK below requires a subject; the only reader (complete_erasure_request) is replaced here
    ADD CONSTRAINT ck_erasure_requests_one_subject CHECK (pg_catalog.num_nonnulls(user_id, lead_id) = 1),
    ADD CONSTRAINT fk_erasure_requests_lead_id FOREIGN KEY (organization_id, lead_id) -- noqa: SQ-adding-foreign-key-constraint erasure_requests holds a few rows per tenant: the scan is short
        REFERENCES conversational.leads (organization_id, id) ON DELETE RESTRICT;
CREATE INDEX idx_erasure_requests_organization_id_lead_id ON governance.erasure_requests (organization_id, lead_id); -- noqa: SQ-require-concurrent-index-creation erasure_requests holds a few rows per tenant: the scan is short
COMMENT ON COLUMN governance.erasure_requests.lead_id IS 'The lead to erase (conversational.leads), when the subject is a lead.';
INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('governance', 'erasure_requests', 'lead_id', 'internal');

-- Why: the lead handler: every personal value of the lead, nulled or emptied; idempotent.
CREATE FUNCTION conversational.erase_lead(p_request governance.erasure_requests) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_rows bigint;
BEGIN
    UPDATE conversational.leads AS l
    SET name = NULL, email = NULL, phone = NULL, user_id = 'erased:' || l.id::text, extra_data = '{}'
    WHERE l.organization_id = p_request.organization_id AND l.id = p_request.lead_id
      AND (l.name IS NOT NULL OR l.email IS NOT NULL OR l.phone IS NOT NULL
           OR l.user_id <> 'erased:' || l.id::text OR l.extra_data <> '{}');
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END
$fn$;
REVOKE EXECUTE ON FUNCTION conversational.erase_lead(governance.erasure_requests) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION conversational.erase_lead(governance.erasure_requests) TO app_rw;
COMMENT ON FUNCTION conversational.erase_lead(governance.erasure_requests) IS
    'Erasure handler for lead requests: nulls name, email, phone, replaces the channel user id, empties extra_data; returns rows changed.';

-- Why: completion runs the lead handler for lead requests (the user part only touches the request's user).
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

    -- Lead requests: the conversational handler (registered in governance.erasure_handlers once issue
    -- 11's extensible erasure is merged; until then this function calls it).
    IF v_request.lead_id IS NOT NULL THEN
        PERFORM conversational.erase_lead(v_request);
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

RESET ROLE;
