-- Policies: agency.handover_packages
-- What: handover packages of a client; the admin credentials reference (secret) is readable by app_rw, never by app_ro.
-- Who sees what (manager-level visibility inside the tenant): owners and admins of the agency see
-- every row of the current tenant; staff (member, viewer) see only rows of the clients they manage
-- or created (agency.visible_client_ids(), computed once per statement); with no tenant or no
-- live user of the tenant set, nothing. The role and the client list come from STABLE context
-- functions in init-plans: no join or subquery per row.
-- app_ro reads; app_rw writes what its grants name (keys and tenant are immutable).

REVOKE ALL ON agency.handover_packages FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON agency.handover_packages TO app_rw;
GRANT UPDATE (workflow_id, package_name, package_type, module_configurations, sop_documents, tutorial_videos,
              admin_credentials_ref, delivery_status, delivery_method, delivered_at, delivery_confirmation,
              package_metadata) ON agency.handover_packages TO app_rw;
GRANT SELECT (organization_id, package_id, client_id, workflow_id, deployment_id, package_name, package_type,
              module_configurations, sop_documents, tutorial_videos, delivery_status, delivery_method, delivered_at,
              delivery_confirmation, package_metadata, created_at, updated_at) ON agency.handover_packages TO app_ro;

-- Why: tenant isolation plus the client scope of the current user.
DROP POLICY IF EXISTS handover_packages_select_client ON agency.handover_packages;
CREATE POLICY handover_packages_select_client ON agency.handover_packages FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS handover_packages_insert_client ON agency.handover_packages;
CREATE POLICY handover_packages_insert_client ON agency.handover_packages FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS handover_packages_update_client ON agency.handover_packages;
CREATE POLICY handover_packages_update_client ON agency.handover_packages FOR UPDATE TO app_rw, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])))
    WITH CHECK (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS handover_packages_delete_client ON agency.handover_packages;
CREATE POLICY handover_packages_delete_client ON agency.handover_packages FOR DELETE TO app_rw, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));

-- Why: the owner's explicit opt-out (app.all_tenants = 'on'), for migrations and backfills across tenants.
DROP POLICY IF EXISTS handover_packages_all_cross_tenant ON agency.handover_packages;
CREATE POLICY handover_packages_all_cross_tenant ON agency.handover_packages FOR ALL TO app_owner
    USING ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on')
    WITH CHECK ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on');
