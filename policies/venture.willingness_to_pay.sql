-- Policies: venture.willingness_to_pay
-- Who sees what: app_rw, app_ro and the owner see the price research rows of the current tenant only; with no
-- tenant set, nothing. app_rw creates and updates them (never their key, tenant or parent);
-- deletion is soft (deleted_at): hard deletes go with the venture. app_ro reads (no personal data here).

REVOKE ALL ON venture.willingness_to_pay FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON venture.willingness_to_pay TO app_rw;
GRANT UPDATE (persona_id, pricing_model, price_min, optimal_price, price_max, currency, research_method,
        confidence_score, notes, deleted_at)
    ON venture.willingness_to_pay TO app_rw;
GRANT SELECT ON venture.willingness_to_pay TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS willingness_to_pay_select_tenant ON venture.willingness_to_pay;
CREATE POLICY willingness_to_pay_select_tenant ON venture.willingness_to_pay FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS willingness_to_pay_insert_tenant ON venture.willingness_to_pay;
CREATE POLICY willingness_to_pay_insert_tenant ON venture.willingness_to_pay FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS willingness_to_pay_update_tenant ON venture.willingness_to_pay;
CREATE POLICY willingness_to_pay_update_tenant ON venture.willingness_to_pay FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS willingness_to_pay_delete_tenant ON venture.willingness_to_pay;
CREATE POLICY willingness_to_pay_delete_tenant ON venture.willingness_to_pay FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());
