-- Policies: agency.client_app_overrides
-- What: per-client module switches and their marketplace references.
-- Who sees what (manager-level visibility inside the tenant): owners and admins of the agency see
-- every row of the current tenant; staff (member, viewer) see only rows of the clients they manage
-- or created (agency.visible_client_ids(), computed once per statement); with no tenant or no
-- live user of the tenant set, nothing. The role and the client list come from STABLE context
-- functions in init-plans: no join or subquery per row.
-- app_ro reads; app_rw writes what its grants name (keys and tenant are immutable).

REVOKE ALL ON agency.client_app_overrides FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON agency.client_app_overrides TO app_rw;
GRANT UPDATE (enabled, override_settings, marketplace_module_id, installation_id, activation_status, activation_metadata)
    ON agency.client_app_overrides TO app_rw;
GRANT SELECT ON agency.client_app_overrides TO app_ro;

-- Why: tenant isolation plus the client scope of the current user.
DROP POLICY IF EXISTS client_app_overrides_select_client ON agency.client_app_overrides;
CREATE POLICY client_app_overrides_select_client ON agency.client_app_overrides FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS client_app_overrides_insert_client ON agency.client_app_overrides;
CREATE POLICY client_app_overrides_insert_client ON agency.client_app_overrides FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS client_app_overrides_update_client ON agency.client_app_overrides;
CREATE POLICY client_app_overrides_update_client ON agency.client_app_overrides FOR UPDATE TO app_rw, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])))
    WITH CHECK (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS client_app_overrides_delete_client ON agency.client_app_overrides;
CREATE POLICY client_app_overrides_delete_client ON agency.client_app_overrides FOR DELETE TO app_rw, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));

-- Why: the owner's explicit opt-out (app.all_tenants = 'on'), for migrations and backfills across tenants.
DROP POLICY IF EXISTS client_app_overrides_all_cross_tenant ON agency.client_app_overrides;
CREATE POLICY client_app_overrides_all_cross_tenant ON agency.client_app_overrides FOR ALL TO app_owner
    USING ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on')
    WITH CHECK ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on');
