-- Migration: tenant_context_no_subtransaction
-- Fix forward of app.current_org_id() and app.current_user_id() (202611230900): their EXCEPTION
-- block starts a subtransaction on every call, which PostgreSQL forbids during a parallel
-- operation. A policy's (SELECT app.current_org_id()) init-plan in a parallel plan (an aggregate over
-- a large tenant table, e.g. usage.daily_rollups) then failed with 25000 "cannot start
-- subtransactions during a parallel operation". The value is now checked with a regular expression
-- before the cast: same results, same 22P02 error naming the setting, no subtransaction (cheaper too).
-- Locks: none on data (function definitions only).

SET LOCAL ROLE app_owner;

-- Why: policies call this; STABLE and PARALLEL SAFE, and now without a subtransaction.
CREATE OR REPLACE FUNCTION app.current_org_id() RETURNS uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_raw text := pg_catalog.current_setting('app.org_id', true);
BEGIN
    IF v_raw IS NULL OR v_raw = '' THEN
        RETURN NULL;
    END IF;
    IF v_raw !~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$' THEN
        RAISE EXCEPTION 'app.org_id is not a valid uuid: %', pg_catalog.left(v_raw, 64)
            USING ERRCODE = 'invalid_text_representation',
                  HINT = 'set it per transaction with set_config(''app.org_id'', <organization uuid>, true)';
    END IF;
    RETURN v_raw::uuid;
END
$fn$;

-- Why: the audit trigger calls this; same fix.
CREATE OR REPLACE FUNCTION app.current_user_id() RETURNS uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_raw text := pg_catalog.current_setting('app.user_id', true);
BEGIN
    IF v_raw IS NULL OR v_raw = '' THEN
        RETURN NULL;
    END IF;
    IF v_raw !~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$' THEN
        RAISE EXCEPTION 'app.user_id is not a valid uuid: %', pg_catalog.left(v_raw, 64)
            USING ERRCODE = 'invalid_text_representation',
                  HINT = 'set it per transaction with set_config(''app.user_id'', <user uuid>, true)';
    END IF;
    RETURN v_raw::uuid;
END
$fn$;

RESET ROLE;
