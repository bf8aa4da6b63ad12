-- Policies: agency.clients
-- Who sees what (manager-level visibility inside the tenant): owners and admins of the agency see
-- every client of the current tenant; staff (member, viewer) see the clients they manage
-- (assigned_manager_id) or created (created_by), while they are live users of the agency
-- (app.current_user_role() is not NULL); with no tenant or no live user of the tenant set, nothing. Role and user come from STABLE context functions in init-plans: no join per row.
-- (This policy cannot use agency.visible_client_ids(): that function reads this table.)
-- app_ro reads; app_rw creates clients and changes name, company, status and manager.

REVOKE ALL ON agency.clients FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON agency.clients TO app_rw;
GRANT UPDATE (name, company_name, status, assigned_manager_id) ON agency.clients TO app_rw;
GRANT SELECT ON agency.clients TO app_ro;

-- Why: tenant isolation plus the manager scope of the current user.
DROP POLICY IF EXISTS clients_select_managed ON agency.clients;
CREATE POLICY clients_select_managed ON agency.clients FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin())
             OR ((SELECT app.current_user_role()) IS NOT NULL
                 AND (assigned_manager_id = (SELECT app.current_user_id()) OR created_by = (SELECT app.current_user_id())))));
DROP POLICY IF EXISTS clients_insert_managed ON agency.clients;
CREATE POLICY clients_insert_managed ON agency.clients FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin())
             OR ((SELECT app.current_user_role()) IS NOT NULL
                 AND (assigned_manager_id = (SELECT app.current_user_id()) OR created_by = (SELECT app.current_user_id())))));
DROP POLICY IF EXISTS clients_update_managed ON agency.clients;
CREATE POLICY clients_update_managed ON agency.clients FOR UPDATE TO app_rw, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin())
             OR ((SELECT app.current_user_role()) IS NOT NULL
                 AND (assigned_manager_id = (SELECT app.current_user_id()) OR created_by = (SELECT app.current_user_id())))))
    WITH CHECK (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin())
             OR ((SELECT app.current_user_role()) IS NOT NULL
                 AND (assigned_manager_id = (SELECT app.current_user_id()) OR created_by = (SELECT app.current_user_id())))));
DROP POLICY IF EXISTS clients_delete_managed ON agency.clients;
CREATE POLICY clients_delete_managed ON agency.clients FOR DELETE TO app_rw, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin())
             OR ((SELECT app.current_user_role()) IS NOT NULL
                 AND (assigned_manager_id = (SELECT app.current_user_id()) OR created_by = (SELECT app.current_user_id())))));

-- Why: the owner's explicit opt-out (app.all_tenants = 'on'), for migrations and backfills across tenants.
DROP POLICY IF EXISTS clients_all_cross_tenant ON agency.clients;
CREATE POLICY clients_all_cross_tenant ON agency.clients FOR ALL TO app_owner
    USING ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on')
    WITH CHECK ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on');
