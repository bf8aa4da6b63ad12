-- Policies: venture.icp_profiles
-- Who sees what: app_rw, app_ro and the owner see the ICP profiles of the current tenant only; with no
-- tenant set, nothing. app_rw creates and updates them (never their key, tenant or parent);
-- deletion is soft (deleted_at): hard deletes go with the venture. app_ro reads (no personal data here).

REVOKE ALL ON venture.icp_profiles FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON venture.icp_profiles TO app_rw;
GRANT UPDATE (profile_name, firmographics, firmographic_fit_score, pain_intensity_score, ability_to_pay_score,
        reachability_score, deleted_at)
    ON venture.icp_profiles TO app_rw;
GRANT SELECT ON venture.icp_profiles TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS icp_profiles_select_tenant ON venture.icp_profiles;
CREATE POLICY icp_profiles_select_tenant ON venture.icp_profiles FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS icp_profiles_insert_tenant ON venture.icp_profiles;
CREATE POLICY icp_profiles_insert_tenant ON venture.icp_profiles FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS icp_profiles_update_tenant ON venture.icp_profiles;
CREATE POLICY icp_profiles_update_tenant ON venture.icp_profiles FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS icp_profiles_delete_tenant ON venture.icp_profiles;
CREATE POLICY icp_profiles_delete_tenant ON venture.icp_profiles FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());
