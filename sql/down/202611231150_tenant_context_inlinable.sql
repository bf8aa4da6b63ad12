-- Migration: tenant_context_inlinable
-- Inverse of the up file: restores app.current_org_id() and app.current_user_id() exactly as
-- 202611231130_tenant_context_no_subtransaction left them (PL/pgSQL with a format check), then drops
-- the error helper they no longer call.

SET LOCAL ROLE app_owner;

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

DROP FUNCTION app.invalid_uuid_setting(text);

RESET ROLE;
