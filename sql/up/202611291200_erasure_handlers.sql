-- Migration: erasure_handlers
-- Makes erasure extensible and its completion unforgeable (issue 11). Until now an erasure request
-- named a core user only, governance.complete_erasure_request() erased core tables itself, and
-- app_rw could mark a request completed with a plain UPDATE, erasing nothing.
-- - governance.erasure_subjects: the kinds of people a request can name ('user' here; a domain adds
--   its own, e.g. customers). A request carries subject_type; user_id is set exactly for 'user'
--   requests, and a domain adds its own subject column with the same kind of CHECK.
-- - governance.erasure_handlers: per subject type, the functions that erase that person's data in
--   one domain, called in run_order by the completion function. core.erase_user() is the first:
--   it anonymises the user (activity timestamps included) and revokes their API keys.
-- - complete_erasure_request() becomes SECURITY DEFINER (owner, pinned search_path): it still sees
--   only the caller's tenant (the policies apply to the owner, FORCE RLS), runs every handler, then
--   marks the request completed. A BEFORE trigger refuses 'completed' from anything else (42501),
--   and refuses any change to a completed or rejected request (55000).
-- Locks: ACCESS EXCLUSIVE on governance.erasure_requests (ADD COLUMN with a constant default, DROP
-- NOT NULL, ADD CONSTRAINT; catalog-only and brief: the table is small), SHARE ROW EXCLUSIVE on
-- governance.erasure_requests (CREATE TRIGGER); ROW EXCLUSIVE on governance.column_classifications.

SET LOCAL ROLE app_owner;

-- Why: the kinds of data subject a request can name; a domain that stores another kind of person
-- registers it here, so a request can never name a kind nobody knows how to erase.
CREATE TABLE governance.erasure_subjects (
    subject_type text NOT NULL,
    description text NOT NULL,
    CONSTRAINT pk_erasure_subjects PRIMARY KEY (subject_type),
    CONSTRAINT ck_erasure_subjects_subject_type_format CHECK (subject_type ~ '^[a-z][a-z0-9_]{0,62}$'),
    CONSTRAINT ck_erasure_subjects_description_length CHECK (pg_catalog.char_length(description) BETWEEN 1 AND 500)
);
-- Platform table: RLS enabled (app roles read through a policy); the owner writes it in migrations.
ALTER TABLE governance.erasure_subjects ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE governance.erasure_subjects IS
    'Kinds of data subject an erasure request can name (user, or a kind a domain registers).';
COMMENT ON COLUMN governance.erasure_subjects.subject_type IS 'Subject kind, lowercase snake_case; the value of erasure_requests.subject_type.';
COMMENT ON COLUMN governance.erasure_subjects.description IS 'Who these subjects are and which column of erasure_requests names them.';

-- Why: the hook list. Each row is one domain's eraser for one subject kind; the completion function
-- calls them all, so erasing a person reaches every domain that registered what it stores.
CREATE TABLE governance.erasure_handlers (
    subject_type text NOT NULL,
    handler text NOT NULL,
    run_order integer NOT NULL DEFAULT 100,
    description text NOT NULL,
    CONSTRAINT pk_erasure_handlers PRIMARY KEY (subject_type, handler),
    CONSTRAINT fk_erasure_handlers_subject_type FOREIGN KEY (subject_type)
        REFERENCES governance.erasure_subjects (subject_type) ON DELETE RESTRICT,
    CONSTRAINT ck_erasure_handlers_handler_signature
        CHECK (handler ~ '^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\(governance\.erasure_requests\)$'),
    CONSTRAINT ck_erasure_handlers_run_order_range CHECK (run_order BETWEEN 0 AND 1000),
    CONSTRAINT ck_erasure_handlers_description_length CHECK (pg_catalog.char_length(description) BETWEEN 1 AND 500)
);
ALTER TABLE governance.erasure_handlers ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE governance.erasure_handlers IS
    'Erasure hooks: per subject kind, the functions governance.complete_erasure_request() calls (in run_order) '
    'to erase that person''s data in each domain.';
COMMENT ON COLUMN governance.erasure_handlers.subject_type IS 'Subject kind the handler erases.';
COMMENT ON COLUMN governance.erasure_handlers.handler IS
    'Signature of the handler, schema.function(governance.erasure_requests); it returns bigint (rows erased).';
COMMENT ON COLUMN governance.erasure_handlers.run_order IS 'Handlers run in ascending run_order, then by name.';
COMMENT ON COLUMN governance.erasure_handlers.description IS 'What the handler erases or anonymises.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('governance', 'erasure_subjects', 'subject_type', 'internal'),
    ('governance', 'erasure_subjects', 'description', 'internal'),
    ('governance', 'erasure_handlers', 'subject_type', 'internal'),
    ('governance', 'erasure_handlers', 'handler', 'internal'),
    ('governance', 'erasure_handlers', 'run_order', 'internal'),
    ('governance', 'erasure_handlers', 'description', 'internal'),
    ('governance', 'erasure_requests', 'subject_type', 'internal');

-- Why: who registers a handler or a subject kind is evidence too.
CREATE TRIGGER trg_erasure_subjects_audit
    AFTER INSERT OR UPDATE OR DELETE ON governance.erasure_subjects
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row();
CREATE TRIGGER trg_erasure_handlers_audit
    AFTER INSERT OR UPDATE OR DELETE ON governance.erasure_handlers
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row();

INSERT INTO governance.erasure_subjects (subject_type, description)
VALUES ('user', 'A person with an account (core.users); erasure_requests.user_id names them.');

-- Why: a request names its subject kind; existing requests are user requests (constant default, no
-- rewrite). user_id is set exactly for user requests; another kind adds its own column and CHECK.
ALTER TABLE governance.erasure_requests ADD COLUMN subject_type text NOT NULL DEFAULT 'user';
COMMENT ON COLUMN governance.erasure_requests.subject_type IS
    'Kind of person to erase (governance.erasure_subjects); user requests name user_id.';
ALTER TABLE governance.erasure_requests ALTER COLUMN user_id DROP NOT NULL; -- noqa: SQ-ban-drop-not-null only requests of another subject kind leave it NULL (ck_erasure_requests_user_subject)
COMMENT ON COLUMN governance.erasure_requests.user_id IS
    'User to erase when subject_type = ''user'' (composite foreign key: same tenant); NULL otherwise.';
ALTER TABLE governance.erasure_requests
    ADD CONSTRAINT fk_erasure_requests_subject_type FOREIGN KEY (subject_type)
        REFERENCES governance.erasure_subjects (subject_type) ON DELETE RESTRICT NOT VALID;
ALTER TABLE governance.erasure_requests VALIDATE CONSTRAINT fk_erasure_requests_subject_type; -- noqa: SQ-constraint-missing-not-valid one row per erasure request: validating is a short scan
ALTER TABLE governance.erasure_requests
    ADD CONSTRAINT ck_erasure_requests_user_subject CHECK ((subject_type = 'user') = (user_id IS NOT NULL)) NOT VALID;
ALTER TABLE governance.erasure_requests VALIDATE CONSTRAINT ck_erasure_requests_user_subject; -- noqa: SQ-constraint-missing-not-valid one row per erasure request: validating is a short scan
CREATE INDEX idx_erasure_requests_subject_type ON governance.erasure_requests (subject_type); -- noqa: SQ-require-concurrent-index-creation one row per erasure request: a short build

-- Why: the core domain's handler: what complete_erasure_request() used to do inline. Activity
-- timestamps are personal data too. Runs as the owner inside the completion function, with the
-- request's tenant set, so FORCE RLS still confines it to that tenant.
CREATE FUNCTION core.erase_user(p_request governance.erasure_requests) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_users bigint;
    v_keys bigint;
BEGIN
    UPDATE core.users AS u
    SET email_hmac = NULL,
        display_name = NULL,
        password_hash = NULL,
        last_login_at = NULL,
        last_seen_at = NULL,
        deleted_at = coalesce(u.deleted_at, pg_catalog.now()),
        anonymised_at = coalesce(u.anonymised_at, pg_catalog.now())
    WHERE u.organization_id = p_request.organization_id AND u.user_id = p_request.user_id;
    GET DIAGNOSTICS v_users = ROW_COUNT;

    UPDATE core.api_keys AS k
    SET status = 'revoked', revoked_at = pg_catalog.now()
    WHERE k.organization_id = p_request.organization_id AND k.user_id = p_request.user_id
      AND k.status <> 'revoked';
    GET DIAGNOSTICS v_keys = ROW_COUNT;
    RETURN v_users + v_keys;
END
$fn$;
COMMENT ON FUNCTION core.erase_user(governance.erasure_requests) IS
    'Erasure handler (subject user): anonymises the user (identity, secrets, activity timestamps) and revokes their API keys. '
    'Called only by governance.complete_erasure_request(); returns the rows changed.';
REVOKE EXECUTE ON FUNCTION core.erase_user(governance.erasure_requests) FROM PUBLIC;

INSERT INTO governance.erasure_handlers (subject_type, handler, run_order, description)
VALUES ('user', 'core.erase_user(governance.erasure_requests)', 100,
        'Anonymises core.users (email, name, password, activity timestamps) and revokes the user''s API keys.');

-- Why: completion is the erasure. SECURITY DEFINER so that no app role needs (or has) the right to
-- write 'completed' itself; the owner is filtered by the same tenant policies (FORCE RLS), so a
-- caller still completes only requests of its own tenant.
CREATE OR REPLACE FUNCTION governance.complete_erasure_request(p_erasure_request_id uuid)
RETURNS governance.erasure_requests
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_request governance.erasure_requests;
    v_handler record;
    v_handlers integer := 0;
    v_erased bigint;
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
BEGIN
    -- The caller's tenant only: the owner's all-tenants opt-out (app.all_tenants) is off for this
    -- call whatever the caller set, or a service could erase a person of another tenant.
    PERFORM pg_catalog.set_config('app.all_tenants', '', true);
    SELECT r.* INTO v_request
    FROM governance.erasure_requests AS r
    WHERE r.erasure_request_id = p_erasure_request_id AND r.status = 'pending'
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no pending erasure request % in the current organization', p_erasure_request_id
            USING ERRCODE = 'no_data_found',
                  HINT = 'set app.org_id to the request''s organization; completed requests cannot be completed again';
    END IF;

    FOR v_handler IN
        SELECT h.handler, n.nspname AS schema_name, p.proname AS function_name
        FROM governance.erasure_handlers AS h
        LEFT JOIN pg_catalog.pg_proc AS p ON p.oid = pg_catalog.to_regprocedure(h.handler)
        LEFT JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
        WHERE h.subject_type = v_request.subject_type
        ORDER BY h.run_order, h.handler
    LOOP
        IF v_handler.function_name IS NULL THEN
            RAISE EXCEPTION 'erasure handler % does not exist', v_handler.handler
                USING ERRCODE = 'undefined_function',
                      HINT = 'fix or remove its row in governance.erasure_handlers';
        END IF;
        EXECUTE pg_catalog.format('SELECT %I.%I($1)', v_handler.schema_name, v_handler.function_name)
            INTO v_erased USING v_request;
        v_handlers := v_handlers + 1;
    END LOOP;
    IF v_handlers = 0 THEN
        RAISE EXCEPTION 'no erasure handler for subject type %', v_request.subject_type
            USING ERRCODE = 'undefined_function',
                  HINT = 'register one in governance.erasure_handlers';
    END IF;

    -- The guard trigger accepts 'completed' only from the owner carrying this marker.
    PERFORM pg_catalog.set_config('governance.completing_erasure_request', v_request.erasure_request_id::text, true);
    UPDATE governance.erasure_requests AS r
    SET status = 'completed', completed_at = pg_catalog.now()
    WHERE r.organization_id = v_request.organization_id AND r.erasure_request_id = v_request.erasure_request_id
    RETURNING r.* INTO v_request;
    PERFORM pg_catalog.set_config('governance.completing_erasure_request', '', true);
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN v_request;
END
$fn$;
COMMENT ON FUNCTION governance.complete_erasure_request(uuid) IS
    'Completes a pending erasure request of the current tenant: runs every governance.erasure_handlers row of its '
    'subject type, then marks it completed, atomically. Raises P0002 (no_data_found) when no such pending request is '
    'visible, 42883 when a handler is missing. The only way a request becomes completed.';

-- Why: 'completed' means "erased": only the completion function may write it; a decided request is final.
CREATE FUNCTION governance.tg_erasure_requests_guard() RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status <> 'pending' THEN
        RAISE EXCEPTION 'erasure request % is % and cannot change', OLD.erasure_request_id, OLD.status
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'a completed or rejected request is final; record a new request instead';
    END IF;
    IF NEW.status = 'completed' AND NOT (
        TG_OP = 'UPDATE'
        AND pg_catalog.current_setting('governance.completing_erasure_request', true) = NEW.erasure_request_id::text
        AND (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID) = current_user
    ) THEN
        RAISE EXCEPTION 'erasure request % can only be completed by governance.complete_erasure_request()',
            NEW.erasure_request_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'call SELECT governance.complete_erasure_request(<id>): it erases the data, then completes the request';
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION governance.tg_erasure_requests_guard() IS
    'BEFORE INSERT/UPDATE of governance.erasure_requests: refuses status completed except from '
    'governance.complete_erasure_request() (42501) and any change to a completed or rejected request (55000).';
REVOKE EXECUTE ON FUNCTION governance.tg_erasure_requests_guard() FROM PUBLIC;

-- Why: ALWAYS, so a replica-mode session (session_replication_role = replica) is refused too.
CREATE TRIGGER trg_erasure_requests_guard
    BEFORE INSERT OR UPDATE ON governance.erasure_requests
    FOR EACH ROW EXECUTE FUNCTION governance.tg_erasure_requests_guard();
ALTER TABLE governance.erasure_requests ENABLE ALWAYS TRIGGER trg_erasure_requests_guard;

RESET ROLE;
