-- Policies: usage.hourly_rollups
-- Who sees what: app_rw, app_ro and the owner read the rollups of the current tenant only; with no
-- tenant set, nothing. Nobody but usage.refresh_rollups() writes them: it runs as the owner with
-- app.all_tenants = 'on', the owner's explicit opt-out of tenant filtering.

REVOKE ALL ON usage.hourly_rollups FROM app_rw, app_ro, app_auth;
GRANT SELECT ON usage.hourly_rollups TO app_rw, app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS hourly_rollups_select_tenant ON usage.hourly_rollups;
CREATE POLICY hourly_rollups_select_tenant ON usage.hourly_rollups FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS hourly_rollups_insert_tenant ON usage.hourly_rollups;
CREATE POLICY hourly_rollups_insert_tenant ON usage.hourly_rollups FOR INSERT TO app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS hourly_rollups_update_tenant ON usage.hourly_rollups;
CREATE POLICY hourly_rollups_update_tenant ON usage.hourly_rollups FOR UPDATE TO app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS hourly_rollups_delete_tenant ON usage.hourly_rollups;
CREATE POLICY hourly_rollups_delete_tenant ON usage.hourly_rollups FOR DELETE TO app_owner
    USING (organization_id = app.current_org_id());

-- Why: the refresh recomputes buckets of every tenant; only with the owner's explicit opt-out.
-- Named hourly_rollups_all_all_tenants until 2026-11: dropped here so databases that have it converge.
DROP POLICY IF EXISTS hourly_rollups_all_all_tenants ON usage.hourly_rollups;
DROP POLICY IF EXISTS hourly_rollups_all_cross_tenant ON usage.hourly_rollups;
CREATE POLICY hourly_rollups_all_cross_tenant ON usage.hourly_rollups FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
