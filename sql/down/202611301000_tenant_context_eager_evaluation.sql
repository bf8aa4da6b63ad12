-- Migration: tenant_context_eager_evaluation
-- Inverse of the up file: app.invalid_uuid_setting() raises unconditionally again, exactly as
-- 202611231150_tenant_context_inlinable created it.

SET LOCAL ROLE app_owner;

CREATE OR REPLACE FUNCTION app.invalid_uuid_setting(p_setting text) RETURNS uuid
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

RESET ROLE;
