-- Migration: tenant_context_eager_evaluation
-- Fix forward of app.invalid_uuid_setting() (202611231150) for Citus, same behaviour on plain
-- PostgreSQL. The context functions call it in the ELSE branch of their CASE, reached only for a
-- malformed setting, and it raised unconditionally. Citus evaluates every non-immutable function call
-- of an INSERT or UPDATE on the coordinator before it ships the statement, whichever CASE branch
-- holds it: a policy's WITH CHECK then raised 22P02 for a valid tenant. It now checks the setting
-- itself and raises only when it is malformed, returning the uuid (or NULL when unset) otherwise, so
-- an early call returns what the CASE would have.
-- Locks: none on data (a function definition only).

SET LOCAL ROLE app_owner;

-- Why: safe to call on any path; the 22P02 naming the setting is unchanged.
CREATE OR REPLACE FUNCTION app.invalid_uuid_setting(p_setting text) RETURNS uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_raw text := pg_catalog.current_setting(p_setting, true);
BEGIN
    IF v_raw IS NULL OR v_raw = '' THEN
        RETURN NULL;
    END IF;
    IF v_raw ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$' THEN
        RETURN v_raw::uuid;
    END IF;
    RAISE EXCEPTION '% is not a valid uuid: %', p_setting, pg_catalog.left(v_raw, 64)
        USING ERRCODE = 'invalid_text_representation',
              HINT = pg_catalog.format('set it per transaction with set_config(%L, <uuid>, true)', p_setting);
END
$fn$;
COMMENT ON FUNCTION app.invalid_uuid_setting(text) IS
    'The uuid in a tenant-context setting (NULL when unset); raises 22P02 naming the setting when it is malformed. '
    'Called by the context functions for a malformed value; safe to call early (Citus evaluates it before the CASE does).';

RESET ROLE;
