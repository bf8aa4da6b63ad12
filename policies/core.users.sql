-- Policies: core.users
-- Who sees what: app_rw, app_ro and the owner see users of the current tenant only; with no tenant
-- set, nothing. app_rw creates and updates users (never their key or tenant) and deletes softly;
-- app_ro never sees pii or secret columns (email_hmac, display_name, password_hash, and the
-- activity timestamps last_login_at and last_seen_at). app_auth reads
-- only what authentication needs (is the user live), across tenants.

REVOKE ALL ON core.users FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON core.users TO app_rw;
GRANT UPDATE (email_hmac, display_name, role, password_hash, last_login_at, last_seen_at, deleted_at, anonymised_at)
    ON core.users TO app_rw;
GRANT SELECT (
    organization_id, user_id, role, created_at, updated_at, deleted_at, anonymised_at
) ON core.users TO app_ro;
GRANT SELECT (organization_id, user_id, deleted_at) ON core.users TO app_auth;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS users_select_tenant ON core.users;
CREATE POLICY users_select_tenant ON core.users FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS users_insert_tenant ON core.users;
CREATE POLICY users_insert_tenant ON core.users FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS users_update_tenant ON core.users;
CREATE POLICY users_update_tenant ON core.users FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS users_delete_tenant ON core.users;
CREATE POLICY users_delete_tenant ON core.users FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: key authentication must check the user before the tenant is known.
DROP POLICY IF EXISTS users_select_auth ON core.users;
CREATE POLICY users_select_auth ON core.users FOR SELECT TO app_auth USING (true);

-- Why: platform jobs (governance.apply_retention(), app.schema_health()) read and act across
-- tenants; only the owner, only with its explicit opt-out set for the call (see usage rollups).
DROP POLICY IF EXISTS users_all_cross_tenant ON core.users;
CREATE POLICY users_all_cross_tenant ON core.users FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
