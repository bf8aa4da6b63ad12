-- Policies: venture.feedback_trend_marks
-- Who sees what: the app roles hold no privilege (marks are appended by the SECURITY DEFINER
-- triggers of venture.feedback_intelligence and claimed by venture.refresh_feedback_trends(), both
-- running as the owner with app.all_tenants = 'on', the owner's explicit opt-out). The owner sees the
-- current tenant's marks, and every tenant's only with the opt-out.

REVOKE ALL ON venture.feedback_trend_marks FROM app_rw, app_ro, app_auth;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS feedback_trend_marks_select_tenant ON venture.feedback_trend_marks;
CREATE POLICY feedback_trend_marks_select_tenant ON venture.feedback_trend_marks FOR SELECT TO app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS feedback_trend_marks_insert_tenant ON venture.feedback_trend_marks;
CREATE POLICY feedback_trend_marks_insert_tenant ON venture.feedback_trend_marks FOR INSERT TO app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS feedback_trend_marks_update_tenant ON venture.feedback_trend_marks;
CREATE POLICY feedback_trend_marks_update_tenant ON venture.feedback_trend_marks FOR UPDATE TO app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS feedback_trend_marks_delete_tenant ON venture.feedback_trend_marks;
CREATE POLICY feedback_trend_marks_delete_tenant ON venture.feedback_trend_marks FOR DELETE TO app_owner
    USING (organization_id = app.current_org_id());

-- Why: the triggers mark and the refresh claims marks of every tenant; only with the owner's explicit opt-out.
DROP POLICY IF EXISTS feedback_trend_marks_all_cross_tenant ON venture.feedback_trend_marks;
CREATE POLICY feedback_trend_marks_all_cross_tenant ON venture.feedback_trend_marks FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
