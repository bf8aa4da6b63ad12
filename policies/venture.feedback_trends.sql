-- Policies: venture.feedback_trends
-- Who sees what: app_rw, app_ro and the owner read the trends of the current tenant only; with no
-- tenant set, nothing. Nobody but venture.refresh_feedback_trends() writes them: it runs as the owner
-- with app.all_tenants = 'on', the owner's explicit opt-out of tenant filtering.

REVOKE ALL ON venture.feedback_trends FROM app_rw, app_ro, app_auth;
GRANT SELECT ON venture.feedback_trends TO app_rw, app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS feedback_trends_select_tenant ON venture.feedback_trends;
CREATE POLICY feedback_trends_select_tenant ON venture.feedback_trends FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS feedback_trends_insert_tenant ON venture.feedback_trends;
CREATE POLICY feedback_trends_insert_tenant ON venture.feedback_trends FOR INSERT TO app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS feedback_trends_update_tenant ON venture.feedback_trends;
CREATE POLICY feedback_trends_update_tenant ON venture.feedback_trends FOR UPDATE TO app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS feedback_trends_delete_tenant ON venture.feedback_trends;
CREATE POLICY feedback_trends_delete_tenant ON venture.feedback_trends FOR DELETE TO app_owner
    USING (organization_id = app.current_org_id());

-- Why: the refresh recomputes periods of every tenant; only with the owner's explicit opt-out.
DROP POLICY IF EXISTS feedback_trends_all_cross_tenant ON venture.feedback_trends;
CREATE POLICY feedback_trends_all_cross_tenant ON venture.feedback_trends FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
