-- Migration: roles_and_tenant_context
-- Inverse of the up file: drops the app schema and its functions, then the roles unless another
-- database of the cluster still depends on them (then they are kept with a NOTICE).

-- Why: the schema holds only the two context functions by now (later downs removed the rest).
DROP FUNCTION app.current_user_id();
DROP FUNCTION app.current_org_id();
DROP SCHEMA app;

-- Why: roles are cluster-wide; drop each only when no other database still uses it.
DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['app_migrator', 'app_auth', 'app_ro', 'app_rw', 'app_owner'] LOOP
        BEGIN
            EXECUTE pg_catalog.format('DROP ROLE IF EXISTS %I', v_role);
        EXCEPTION WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'role % kept: objects in another database still depend on it', v_role;
        END;
    END LOOP;
END
$roles$;
