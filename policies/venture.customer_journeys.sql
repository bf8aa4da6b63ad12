-- Policies: venture.customer_journeys
-- Who sees what: app_rw, app_ro and the owner see the journey stages of the current tenant only; with no
-- tenant set, nothing. app_rw creates and updates them (never their key, tenant or parent);
-- deletion is soft (deleted_at): hard deletes go with the venture. app_ro reads (no personal data here).

REVOKE ALL ON venture.customer_journeys FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON venture.customer_journeys TO app_rw;
GRANT UPDATE (stage, stage_name, description, touchpoints, friction_points, conversion_rate, deleted_at)
    ON venture.customer_journeys TO app_rw;
GRANT SELECT ON venture.customer_journeys TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS customer_journeys_select_tenant ON venture.customer_journeys;
CREATE POLICY customer_journeys_select_tenant ON venture.customer_journeys FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customer_journeys_insert_tenant ON venture.customer_journeys;
CREATE POLICY customer_journeys_insert_tenant ON venture.customer_journeys FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customer_journeys_update_tenant ON venture.customer_journeys;
CREATE POLICY customer_journeys_update_tenant ON venture.customer_journeys FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customer_journeys_delete_tenant ON venture.customer_journeys;
CREATE POLICY customer_journeys_delete_tenant ON venture.customer_journeys FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());
