-- Migration: roles_and_tenant_context
-- Creates the cluster roles every later migration relies on (an owner that owns every object, the
-- service and reporting group roles, the API-key authenticator and the migrator) and the `app`
-- schema with the per-transaction tenant context: app.current_org_id() and app.current_user_id().
-- Roles are cluster-wide while migrations are per database, so they are created idempotently and
-- the down file keeps them while another database still depends on them.

-- Why: roles are shared by every database of the cluster; create each only when it is missing.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_owner') THEN
        CREATE ROLE app_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_rw') THEN
        CREATE ROLE app_rw NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_ro') THEN
        CREATE ROLE app_ro NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_auth') THEN
        CREATE ROLE app_auth NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_migrator') THEN
        CREATE ROLE app_migrator NOLOGIN;
    END IF;
END
$roles$;

-- Why: the migrator (granted to the deploy login) acts as the owner and can hand functions to app_auth.
GRANT app_owner TO app_migrator;
GRANT app_auth TO app_migrator;

COMMENT ON ROLE app_owner IS 'Owns every product object. NOLOGIN; FORCE ROW LEVEL SECURITY filters it too.';
COMMENT ON ROLE app_rw IS 'Services (read/write). Login roles are granted this. Subject to RLS.';
COMMENT ON ROLE app_ro IS 'Read-only reporting. Login roles are granted this. Subject to RLS.';
COMMENT ON ROLE app_auth IS 'Owner of app.authenticate_api_key only; nobody is granted it for direct use.';
COMMENT ON ROLE app_migrator IS 'Granted to the login that runs dbrun: member of app_owner and app_auth.';

-- Why: the tenant context lives in its own schema, owned by the owner role.
CREATE SCHEMA app AUTHORIZATION app_owner;
COMMENT ON SCHEMA app IS 'Tenant context and platform functions used by services and policies.';

SET LOCAL ROLE app_owner;

-- Why: every policy calls this; STABLE so a policy can use it as an index condition.
CREATE FUNCTION app.current_org_id() RETURNS uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_raw text := pg_catalog.current_setting('app.org_id', true);
BEGIN
    IF v_raw IS NULL OR v_raw = '' THEN
        RETURN NULL;
    END IF;
    RETURN v_raw::uuid;
EXCEPTION WHEN invalid_text_representation THEN
    RAISE EXCEPTION 'app.org_id is not a valid uuid: %', pg_catalog.left(v_raw, 64)
        USING ERRCODE = 'invalid_text_representation',
              HINT = 'set it per transaction with set_config(''app.org_id'', <organization uuid>, true)';
END
$fn$;
COMMENT ON FUNCTION app.current_org_id() IS
    'Tenant of the current transaction from app.org_id; NULL when unset or empty; a malformed value raises 22P02.';

-- Why: the application user, recorded by the audit trigger as the actor.
CREATE FUNCTION app.current_user_id() RETURNS uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_raw text := pg_catalog.current_setting('app.user_id', true);
BEGIN
    IF v_raw IS NULL OR v_raw = '' THEN
        RETURN NULL;
    END IF;
    RETURN v_raw::uuid;
EXCEPTION WHEN invalid_text_representation THEN
    RAISE EXCEPTION 'app.user_id is not a valid uuid: %', pg_catalog.left(v_raw, 64)
        USING ERRCODE = 'invalid_text_representation',
              HINT = 'set it per transaction with set_config(''app.user_id'', <user uuid>, true)';
END
$fn$;
COMMENT ON FUNCTION app.current_user_id() IS
    'Application user of the current transaction from app.user_id; NULL when unset or empty; malformed raises 22P02.';

RESET ROLE;

-- Why: services and reporting resolve the context functions; nothing else in app is public.
GRANT USAGE ON SCHEMA app TO app_rw, app_ro, app_auth;
