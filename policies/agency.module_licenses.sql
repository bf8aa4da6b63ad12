-- Policies: agency.module_licenses
-- What: module licenses; the license key HMAC (secret) is written by app_rw but never read back by any app role.
-- Who sees what (manager-level visibility inside the tenant): owners and admins of the agency see
-- every row of the current tenant; staff (member, viewer) see only rows of the clients they manage
-- or created (agency.visible_client_ids(), computed once per statement); with no tenant or no
-- live user of the tenant set, nothing. The role and the client list come from STABLE context
-- functions in init-plans: no join or subquery per row.
-- app_ro reads; app_rw writes what its grants name (keys and tenant are immutable).

REVOKE ALL ON agency.module_licenses FROM app_rw, app_ro, app_auth;
GRANT SELECT (organization_id, license_id, client_id, module_id, status, issued_at, expires_at, updated_at)
    ON agency.module_licenses TO app_rw, app_ro;
GRANT INSERT ON agency.module_licenses TO app_rw;
GRANT UPDATE (license_key_hmac, status, expires_at) ON agency.module_licenses TO app_rw;

-- Why: tenant isolation plus the client scope of the current user.
DROP POLICY IF EXISTS module_licenses_select_client ON agency.module_licenses;
CREATE POLICY module_licenses_select_client ON agency.module_licenses FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS module_licenses_insert_client ON agency.module_licenses;
CREATE POLICY module_licenses_insert_client ON agency.module_licenses FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS module_licenses_update_client ON agency.module_licenses;
CREATE POLICY module_licenses_update_client ON agency.module_licenses FOR UPDATE TO app_rw, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])))
    WITH CHECK (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS module_licenses_delete_client ON agency.module_licenses;
CREATE POLICY module_licenses_delete_client ON agency.module_licenses FOR DELETE TO app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));

-- Why: the owner's explicit opt-out (app.all_tenants = 'on'), for migrations and backfills across tenants.
DROP POLICY IF EXISTS module_licenses_all_cross_tenant ON agency.module_licenses;
CREATE POLICY module_licenses_all_cross_tenant ON agency.module_licenses FOR ALL TO app_owner
    USING ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on')
    WITH CHECK ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on');
