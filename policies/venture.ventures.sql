-- Policies: venture.ventures
-- Who sees what: app_rw, app_ro and the owner see the ventures of the current tenant only; with no
-- tenant set, nothing. app_rw creates ventures and updates them (never their key or tenant);
-- deletion is soft (deleted_at): hard deletes are the owner's retention job (governance.apply_retention,
-- with the owner's explicit all-tenants opt-out). app_ro reads.

REVOKE ALL ON venture.ventures FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON venture.ventures TO app_rw;
GRANT UPDATE (name, stage, description, deleted_at) ON venture.ventures TO app_rw;
GRANT SELECT ON venture.ventures TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS ventures_select_tenant ON venture.ventures;
CREATE POLICY ventures_select_tenant ON venture.ventures FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS ventures_insert_tenant ON venture.ventures;
CREATE POLICY ventures_insert_tenant ON venture.ventures FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS ventures_update_tenant ON venture.ventures;
CREATE POLICY ventures_update_tenant ON venture.ventures FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS ventures_delete_tenant ON venture.ventures;
CREATE POLICY ventures_delete_tenant ON venture.ventures FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: retention (governance.apply_retention) purges soft-deleted ventures of every tenant; only with
-- the owner's explicit opt-out.
DROP POLICY IF EXISTS ventures_all_cross_tenant ON venture.ventures;
CREATE POLICY ventures_all_cross_tenant ON venture.ventures FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
