-- Policies: usage.monthly_rollups
-- Who sees what: app_rw, app_ro and the owner read the rollups of the current tenant only; with no
-- tenant set, nothing. Nobody but usage.refresh_rollups() writes them: it runs as the owner with
-- app.all_tenants = 'on', the owner's explicit opt-out of tenant filtering.

REVOKE ALL ON usage.monthly_rollups FROM app_rw, app_ro, app_auth, app_ingest;
GRANT SELECT ON usage.monthly_rollups TO app_rw, app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS monthly_rollups_select_tenant ON usage.monthly_rollups;
CREATE POLICY monthly_rollups_select_tenant ON usage.monthly_rollups FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS monthly_rollups_insert_tenant ON usage.monthly_rollups;
CREATE POLICY monthly_rollups_insert_tenant ON usage.monthly_rollups FOR INSERT TO app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS monthly_rollups_update_tenant ON usage.monthly_rollups;
CREATE POLICY monthly_rollups_update_tenant ON usage.monthly_rollups FOR UPDATE TO app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS monthly_rollups_delete_tenant ON usage.monthly_rollups;
CREATE POLICY monthly_rollups_delete_tenant ON usage.monthly_rollups FOR DELETE TO app_owner
    USING (organization_id = app.current_org_id());

-- Why: the refresh recomputes months of every tenant and the top-organizations report reads them
-- all; only with the owner's explicit opt-out. No sub-select (Citus refuses subqueries in the
-- policies of distributed tables): the comparison has no column, so the planner evaluates it once,
-- as a one-time filter.
DROP POLICY IF EXISTS monthly_rollups_all_cross_tenant ON usage.monthly_rollups;
CREATE POLICY monthly_rollups_all_cross_tenant ON usage.monthly_rollups FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
