-- Migration: tenant_context_inlinable
-- Fix forward of app.current_org_id() and app.current_user_id() (202611231130): as PL/pgSQL they cost
-- every query that touches a tenant table 30-100 µs, the price of PL/pgSQL's per-transaction set-up
-- of its first call (measured with bench/bench_analytics.py at 10 M events: RLS overhead 1.07-1.17x
-- on 0.3 ms queries against the owner with the filter written out, goal <= 1.10x). As single-
-- expression SQL functions the planner inlines them into the policies' init-plan: the same results,
-- the same 22P02 naming the setting for a malformed value (raised by app.invalid_uuid_setting(),
-- reached only on that path), and no per-transaction set-up.
-- Locks: none on data (function definitions only).

SET LOCAL ROLE app_owner;

-- Why: the error path of the context functions, kept out of their inlinable expression. STABLE (it
-- reads a setting and raises; it never writes) so that the expressions calling it stay inlinable.
CREATE FUNCTION app.invalid_uuid_setting(p_setting text) RETURNS uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
BEGIN
    RAISE EXCEPTION '% is not a valid uuid: %', p_setting,
        pg_catalog.left(pg_catalog.current_setting(p_setting, true), 64)
        USING ERRCODE = 'invalid_text_representation',
              HINT = pg_catalog.format('set it per transaction with set_config(%L, <uuid>, true)', p_setting);
END
$fn$;
COMMENT ON FUNCTION app.invalid_uuid_setting(text) IS
    'Raises 22P02 naming a tenant-context setting whose value is not a uuid; never returns. Used by the context functions.';

-- Why: policies call this once per query in an init-plan; a single SQL expression the planner inlines.
CREATE OR REPLACE FUNCTION app.current_org_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
    SELECT CASE
        WHEN pg_catalog.current_setting('app.org_id', true) IS NULL
            OR pg_catalog.current_setting('app.org_id', true) = '' THEN NULL
        WHEN pg_catalog.current_setting('app.org_id', true)
            ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$'
            THEN pg_catalog.current_setting('app.org_id', true)::uuid
        ELSE app.invalid_uuid_setting('app.org_id')
    END
$fn$;

-- Why: the audit trigger calls this; the same shape as app.current_org_id().
CREATE OR REPLACE FUNCTION app.current_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
    SELECT CASE
        WHEN pg_catalog.current_setting('app.user_id', true) IS NULL
            OR pg_catalog.current_setting('app.user_id', true) = '' THEN NULL
        WHEN pg_catalog.current_setting('app.user_id', true)
            ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$'
            THEN pg_catalog.current_setting('app.user_id', true)::uuid
        ELSE app.invalid_uuid_setting('app.user_id')
    END
$fn$;

RESET ROLE;
