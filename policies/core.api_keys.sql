-- Policies: core.api_keys
-- Who sees what: app_rw, app_ro and the owner see keys of the current tenant only, never
-- secret_hash; with no tenant set, nothing. app_rw issues keys (insert, with the HMAC of the secret)
-- and revokes them (status, revoked_at); it cannot re-point a key to another user or tenant.
-- Across tenants, keys are read only by app.authenticate_api_key, which runs as app_auth: app_auth
-- reads the columns authentication needs and updates last_used_at, nothing else.

REVOKE ALL ON core.api_keys FROM app_rw, app_ro, app_auth;
GRANT INSERT ON core.api_keys TO app_rw;
GRANT SELECT (
    organization_id, api_key_id, user_id, name, prefix, scopes, status, created_at, expires_at, revoked_at, last_used_at
) ON core.api_keys TO app_rw, app_ro;
GRANT UPDATE (name, scopes, status, expires_at, revoked_at) ON core.api_keys TO app_rw;
GRANT SELECT (
    organization_id, api_key_id, user_id, prefix, secret_hash, scopes, status, expires_at, revoked_at, last_used_at
) ON core.api_keys TO app_auth;
GRANT UPDATE (last_used_at) ON core.api_keys TO app_auth;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS api_keys_select_tenant ON core.api_keys;
CREATE POLICY api_keys_select_tenant ON core.api_keys FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS api_keys_insert_tenant ON core.api_keys;
CREATE POLICY api_keys_insert_tenant ON core.api_keys FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS api_keys_update_tenant ON core.api_keys;
CREATE POLICY api_keys_update_tenant ON core.api_keys FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS api_keys_delete_tenant ON core.api_keys;
CREATE POLICY api_keys_delete_tenant ON core.api_keys FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: authentication looks a key up by prefix before the tenant is known, and records its use.
DROP POLICY IF EXISTS api_keys_select_auth ON core.api_keys;
CREATE POLICY api_keys_select_auth ON core.api_keys FOR SELECT TO app_auth USING (true);
DROP POLICY IF EXISTS api_keys_update_auth ON core.api_keys;
CREATE POLICY api_keys_update_auth ON core.api_keys FOR UPDATE TO app_auth USING (true) WITH CHECK (true);

-- Why: platform jobs (governance.apply_retention(), app.schema_health()) read and act across
-- tenants; only the owner, only with its explicit opt-out set for the call (see usage rollups).
DROP POLICY IF EXISTS api_keys_all_cross_tenant ON core.api_keys;
CREATE POLICY api_keys_all_cross_tenant ON core.api_keys FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
