-- Policies: venture.customer_personas
-- Who sees what: app_rw, app_ro and the owner see the personas of the current tenant only; with no
-- tenant set, nothing. app_rw creates and updates them (never their key, tenant or parent);
-- deletion is soft (deleted_at): hard deletes go with the venture. app_ro reads (no personal data here).

REVOKE ALL ON venture.customer_personas FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON venture.customer_personas TO app_rw;
GRANT UPDATE (persona_name, persona_type, priority_rank, demographics, psychographics, pain_points, jobs_to_be_done,
        ai_confidence_score, deleted_at)
    ON venture.customer_personas TO app_rw;
GRANT SELECT ON venture.customer_personas TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS customer_personas_select_tenant ON venture.customer_personas;
CREATE POLICY customer_personas_select_tenant ON venture.customer_personas FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customer_personas_insert_tenant ON venture.customer_personas;
CREATE POLICY customer_personas_insert_tenant ON venture.customer_personas FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customer_personas_update_tenant ON venture.customer_personas;
CREATE POLICY customer_personas_update_tenant ON venture.customer_personas FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customer_personas_delete_tenant ON venture.customer_personas;
CREATE POLICY customer_personas_delete_tenant ON venture.customer_personas FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());
