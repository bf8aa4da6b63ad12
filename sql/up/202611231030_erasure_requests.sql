-- Migration: erasure_requests
-- Creates governance.erasure_requests (a user's right to erasure: due within 30 days of the
-- request, CHECKed) and governance.complete_erasure_request(id), which anonymises the user, revokes
-- their API keys and marks the request completed, in the caller's transaction and tenant (SECURITY
-- INVOKER: it can only complete a request the caller's RLS lets it see). The audit log needs no
-- change: pii columns were redacted when each event was written.

SET LOCAL ROLE app_owner;

-- Why: tenant table; the user is referenced with a composite key (same tenant) and kept (RESTRICT).
CREATE TABLE governance.erasure_requests (
    organization_id uuid NOT NULL,
    erasure_request_id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    reason text,
    requested_at timestamptz NOT NULL DEFAULT now(),
    due_at timestamptz NOT NULL DEFAULT now() + interval '30 days',
    completed_at timestamptz,
    CONSTRAINT pk_erasure_requests PRIMARY KEY (organization_id, erasure_request_id),
    CONSTRAINT fk_erasure_requests_user_id FOREIGN KEY (organization_id, user_id)
        REFERENCES core.users (organization_id, user_id) ON DELETE RESTRICT,
    CONSTRAINT ck_erasure_requests_status CHECK (status IN ('pending', 'completed', 'rejected')),
    CONSTRAINT ck_erasure_requests_reason_length CHECK (pg_catalog.char_length(reason) BETWEEN 1 AND 1000),
    CONSTRAINT ck_erasure_requests_due_within_30_days CHECK (
        due_at > requested_at AND due_at <= requested_at + interval '30 days'
    ),
    CONSTRAINT ck_erasure_requests_completed_consistent CHECK (
        (status = 'pending') = (completed_at IS NULL)
    ),
    CONSTRAINT ck_erasure_requests_completed_after_requested CHECK (
        completed_at IS NULL OR completed_at >= requested_at
    )
);
ALTER TABLE governance.erasure_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE governance.erasure_requests FORCE ROW LEVEL SECURITY;

CREATE INDEX idx_erasure_requests_organization_id_user_id ON governance.erasure_requests (organization_id, user_id);

COMMENT ON TABLE governance.erasure_requests IS 'Requests to erase a user''s personal data (GDPR art. 17), due within 30 days.';
COMMENT ON COLUMN governance.erasure_requests.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN governance.erasure_requests.erasure_request_id IS 'Request id (unique within the tenant).';
COMMENT ON COLUMN governance.erasure_requests.user_id IS 'User to erase, in the same tenant (composite foreign key).';
COMMENT ON COLUMN governance.erasure_requests.status IS 'pending, completed or rejected; completed_at is set unless pending.';
COMMENT ON COLUMN governance.erasure_requests.reason IS 'Free-text note (no personal data).';
COMMENT ON COLUMN governance.erasure_requests.requested_at IS 'When the request was received.';
COMMENT ON COLUMN governance.erasure_requests.due_at IS 'Deadline: after requested_at and at most 30 days later.';
COMMENT ON COLUMN governance.erasure_requests.completed_at IS 'When the request was completed or rejected.';

-- Why: privileged table; erasure is evidence that must be traceable.
CREATE TRIGGER trg_erasure_requests_audit
    AFTER INSERT OR UPDATE OR DELETE ON governance.erasure_requests
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row();

-- Why: one call completes a request atomically: anonymise, revoke keys, mark done.
CREATE FUNCTION governance.complete_erasure_request(p_erasure_request_id uuid)
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
REVOKE EXECUTE ON FUNCTION governance.complete_erasure_request(uuid) FROM PUBLIC;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('governance', 'erasure_requests', 'organization_id', 'internal'),
    ('governance', 'erasure_requests', 'erasure_request_id', 'internal'),
    ('governance', 'erasure_requests', 'user_id', 'internal'),
    ('governance', 'erasure_requests', 'status', 'internal'),
    ('governance', 'erasure_requests', 'reason', 'confidential'),
    ('governance', 'erasure_requests', 'requested_at', 'internal'),
    ('governance', 'erasure_requests', 'due_at', 'internal'),
    ('governance', 'erasure_requests', 'completed_at', 'internal');

INSERT INTO governance.retention_policies (schema_name, table_name, retain_for, action, timestamp_column, description)
VALUES ('governance', 'erasure_requests', interval '6 years', 'delete', 'completed_at',
        'Proof of erasure kept six years after completion (limitation period), then deleted.');

RESET ROLE;

-- Why: services (app_rw) complete requests; governance tables are otherwise reached per table grants.
GRANT USAGE ON SCHEMA governance TO app_rw, app_ro;
GRANT EXECUTE ON FUNCTION governance.complete_erasure_request(uuid) TO app_rw;
