-- Policies: usage.trailing_year_totals
-- Who sees what: app_rw, app_ro and the owner read the trailing-year total of the current tenant
-- only; with no tenant set, nothing. Nobody but usage.refresh_rollups() (and the rebuild it calls)
-- writes them: it runs as the owner with app.all_tenants = 'on', the owner's explicit opt-out of
-- tenant filtering.

REVOKE ALL ON usage.trailing_year_totals FROM app_rw, app_ro, app_auth, app_ingest;
GRANT SELECT ON usage.trailing_year_totals TO app_rw, app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS trailing_year_totals_select_tenant ON usage.trailing_year_totals;
CREATE POLICY trailing_year_totals_select_tenant ON usage.trailing_year_totals FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS trailing_year_totals_insert_tenant ON usage.trailing_year_totals;
CREATE POLICY trailing_year_totals_insert_tenant ON usage.trailing_year_totals FOR INSERT TO app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS trailing_year_totals_update_tenant ON usage.trailing_year_totals;
CREATE POLICY trailing_year_totals_update_tenant ON usage.trailing_year_totals FOR UPDATE TO app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS trailing_year_totals_delete_tenant ON usage.trailing_year_totals;
CREATE POLICY trailing_year_totals_delete_tenant ON usage.trailing_year_totals FOR DELETE TO app_owner
    USING (organization_id = app.current_org_id());

-- Why: the refresh writes every tenant's total and the top-organizations report ranks them all;
-- only with the owner's explicit opt-out. No sub-select (Citus refuses subqueries in the policies of
-- distributed tables): the comparison has no column, so the planner evaluates it once, as a one-time
-- filter, as for usage.monthly_rollups.
DROP POLICY IF EXISTS trailing_year_totals_all_cross_tenant ON usage.trailing_year_totals;
CREATE POLICY trailing_year_totals_all_cross_tenant ON usage.trailing_year_totals FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
