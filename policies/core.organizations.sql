-- Policies: core.organizations (tenant root)
-- Who sees what: app_rw, app_ro and the owner see only the organization named by app.org_id (its
-- key column is organization_id); with no tenant set, nothing. app_rw may create the organization
-- it has set as tenant (sign-up: the service picks the uuid, sets app.org_id, inserts) and update
-- it, never its key; deletion is soft (deleted_at), hard deletes are the owner's retention job.
-- app_auth (only app.authenticate_api_key runs as it) reads status across tenants.

REVOKE ALL ON core.organizations FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON core.organizations TO app_rw;
GRANT UPDATE (slug, name, status, plan, max_users, max_api_keys, monthly_token_quota, deleted_at)
    ON core.organizations TO app_rw;
GRANT SELECT ON core.organizations TO app_ro;
GRANT SELECT (organization_id, status, deleted_at) ON core.organizations TO app_auth;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS organizations_select_tenant ON core.organizations;
CREATE POLICY organizations_select_tenant ON core.organizations FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS organizations_insert_tenant ON core.organizations;
CREATE POLICY organizations_insert_tenant ON core.organizations FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS organizations_update_tenant ON core.organizations;
CREATE POLICY organizations_update_tenant ON core.organizations FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS organizations_delete_tenant ON core.organizations;
CREATE POLICY organizations_delete_tenant ON core.organizations FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: the owner's explicit opt-out (app.all_tenants = 'on' for one transaction): validating a foreign
-- key to organizations on a populated tenant table reads every organization (202611291625).
DROP POLICY IF EXISTS organizations_select_cross_tenant ON core.organizations;
CREATE POLICY organizations_select_cross_tenant ON core.organizations FOR SELECT TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on');

-- Why: key authentication must check the organization before the tenant is known.
DROP POLICY IF EXISTS organizations_select_auth ON core.organizations;
CREATE POLICY organizations_select_auth ON core.organizations FOR SELECT TO app_auth USING (true);

-- Why: platform jobs (governance.apply_retention(), app.schema_health()) read and act across
-- tenants; only the owner, only with its explicit opt-out set for the call (see usage rollups).
DROP POLICY IF EXISTS organizations_all_cross_tenant ON core.organizations;
CREATE POLICY organizations_all_cross_tenant ON core.organizations FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
