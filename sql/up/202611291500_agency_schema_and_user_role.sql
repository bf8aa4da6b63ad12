-- Migration: agency_schema_and_user_role
-- Creates the agency schema (the agency delivery domain of seed 001: clients, the module marketplace,
-- configurations, orchestration, handover packages, integration events) and the user-role context
-- the domain's policies need: app.current_user_role() derives the role of app.user_id from
-- core.users (a live user of the current tenant; NULL otherwise) and app.current_user_is_admin()
-- says whether it is owner or admin. Both are STABLE, so a policy evaluates them once per statement.
-- The role is derived, not read from a setting: a service cannot claim a role the user does not have.

-- Why: the domain lives in its own schema, owned by the owner role.
CREATE SCHEMA agency AUTHORIZATION app_owner;
COMMENT ON SCHEMA agency IS 'Agency delivery: clients, marketplace modules, configurations, orchestration, handover, integration events.';

SET LOCAL ROLE app_owner;

-- Why: SECURITY DEFINER reads the user's role under the owner's tenant policy (the caller's tenant
-- still applies); search_path pinned, no temp objects.
CREATE FUNCTION app.current_user_role() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT u.role FROM core.users AS u
    WHERE u.organization_id = app.current_org_id()
      AND u.user_id = app.current_user_id()
      AND u.deleted_at IS NULL
$fn$;
COMMENT ON FUNCTION app.current_user_role() IS
    'Role (owner, admin, member, viewer) of the live user app.user_id in the tenant app.org_id; NULL when either is unset or the user is unknown or deleted.';
REVOKE EXECUTE ON FUNCTION app.current_user_role() FROM PUBLIC;

-- Why: manager-level visibility: owners and admins see every client of the tenant, staff only theirs.
CREATE FUNCTION app.current_user_is_admin() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT coalesce(app.current_user_role() IN ('owner', 'admin'), false)
$fn$;
COMMENT ON FUNCTION app.current_user_is_admin() IS
    'True when the current user is an owner or admin of the current tenant; false for staff (member, viewer) and with no user.';
REVOKE EXECUTE ON FUNCTION app.current_user_is_admin() FROM PUBLIC;

RESET ROLE;

-- Why: services and reporting resolve the schema and the context; tables are granted in policies/.
GRANT USAGE ON SCHEMA agency TO app_rw, app_ro;
GRANT EXECUTE ON FUNCTION app.current_user_role() TO app_rw, app_ro;
GRANT EXECUTE ON FUNCTION app.current_user_is_admin() TO app_rw, app_ro;
