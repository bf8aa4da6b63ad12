-- Policies: core.budgets
-- Who sees what: app_rw, app_ro and the owner see budgets of the current tenant only; with no
-- tenant set, nothing. app_rw manages them (insert, update of the figures, delete); app_ro reads.

REVOKE ALL ON core.budgets FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON core.budgets TO app_rw;
GRANT UPDATE (period, period_start, amount, currency, alert_thresholds) ON core.budgets TO app_rw;
GRANT SELECT ON core.budgets TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS budgets_select_tenant ON core.budgets;
CREATE POLICY budgets_select_tenant ON core.budgets FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS budgets_insert_tenant ON core.budgets;
CREATE POLICY budgets_insert_tenant ON core.budgets FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS budgets_update_tenant ON core.budgets;
CREATE POLICY budgets_update_tenant ON core.budgets FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS budgets_delete_tenant ON core.budgets;
CREATE POLICY budgets_delete_tenant ON core.budgets FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());
