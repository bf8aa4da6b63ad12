-- Policies: usage.rollup_dirty_hours
-- Who sees what: the app roles hold no privilege (the queue is written by the SECURITY DEFINER
-- trigger of usage.events and emptied by usage.refresh_rollups(), both running as the owner with
-- app.all_tenants = 'on', the owner's explicit opt-out). The owner sees the current tenant's
-- markers otherwise; with no tenant set, nothing.

-- Why: start from nothing so this file is the whole truth about the table's privileges.
REVOKE ALL ON usage.rollup_dirty_hours FROM app_rw, app_ro, app_auth;

-- Why: tenant isolation; policies compare with the STABLE context function in an init-plan.
DROP POLICY IF EXISTS rollup_dirty_hours_select_tenant ON usage.rollup_dirty_hours;
CREATE POLICY rollup_dirty_hours_select_tenant ON usage.rollup_dirty_hours FOR SELECT TO app_owner
    USING (organization_id = (SELECT app.current_org_id()));
DROP POLICY IF EXISTS rollup_dirty_hours_insert_tenant ON usage.rollup_dirty_hours;
CREATE POLICY rollup_dirty_hours_insert_tenant ON usage.rollup_dirty_hours FOR INSERT TO app_owner
    WITH CHECK (organization_id = (SELECT app.current_org_id()));
DROP POLICY IF EXISTS rollup_dirty_hours_update_tenant ON usage.rollup_dirty_hours;
CREATE POLICY rollup_dirty_hours_update_tenant ON usage.rollup_dirty_hours FOR UPDATE TO app_owner
    USING (organization_id = (SELECT app.current_org_id()))
    WITH CHECK (organization_id = (SELECT app.current_org_id()));
DROP POLICY IF EXISTS rollup_dirty_hours_delete_tenant ON usage.rollup_dirty_hours;
CREATE POLICY rollup_dirty_hours_delete_tenant ON usage.rollup_dirty_hours FOR DELETE TO app_owner
    USING (organization_id = (SELECT app.current_org_id()));

-- Why: the trigger marks and the refresh claims buckets of every tenant; only with the owner's explicit opt-out.
DROP POLICY IF EXISTS rollup_dirty_hours_all_all_tenants ON usage.rollup_dirty_hours;
CREATE POLICY rollup_dirty_hours_all_all_tenants ON usage.rollup_dirty_hours FOR ALL TO app_owner
    USING ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on')
    WITH CHECK ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on');
