-- Policies: conversational.users
-- Who sees what: app_rw, app_ro and the owner see rows of the current tenant only (FORCE RLS); with no
-- tenant set, nothing. app_rw reads and writes them (never the key or the tenant); staff accounts: app_ro never sees email, full_name, hashed_password or last_login_at.

REVOKE ALL ON conversational.users FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON conversational.users TO app_rw;
GRANT UPDATE (
    email, hashed_password, full_name, role, is_active, updated_at, business_id, last_login_at
) ON conversational.users TO app_rw;
GRANT SELECT (
    id, role, is_active, created_at, updated_at, organization_id, business_id
) ON conversational.users TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS users_select_tenant ON conversational.users;
CREATE POLICY users_select_tenant ON conversational.users FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS users_insert_tenant ON conversational.users;
CREATE POLICY users_insert_tenant ON conversational.users FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS users_update_tenant ON conversational.users;
CREATE POLICY users_update_tenant ON conversational.users FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS users_delete_tenant ON conversational.users;
CREATE POLICY users_delete_tenant ON conversational.users FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: the owner's explicit opt-out (app.all_tenants = 'on', set for a maintenance session such as a
-- backfill run by the migrator); the setting means nothing to app_rw and app_ro.
DROP POLICY IF EXISTS users_all_cross_tenant ON conversational.users;
CREATE POLICY users_all_cross_tenant ON conversational.users FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
