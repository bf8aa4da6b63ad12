-- Policies: agency.workflow_executions
-- What: step executions of a client's workflows.
-- Who sees what (manager-level visibility inside the tenant): owners and admins of the agency see
-- every row of the current tenant; staff (member, viewer) see only rows of the clients they manage
-- or created (agency.visible_client_ids(), computed once per statement); with no tenant or no
-- live user of the tenant set, nothing. The role and the client list come from STABLE context
-- functions in init-plans: no join or subquery per row.
-- app_ro reads; app_rw writes what its grants name (keys and tenant are immutable).

REVOKE ALL ON agency.workflow_executions FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON agency.workflow_executions TO app_rw;
GRANT UPDATE (status, output_data, error_data, execution_time_ms, started_at, completed_at, retry_count, max_retries)
    ON agency.workflow_executions TO app_rw;
GRANT SELECT ON agency.workflow_executions TO app_ro;

-- Why: tenant isolation plus the client scope of the current user.
DROP POLICY IF EXISTS workflow_executions_select_client ON agency.workflow_executions;
CREATE POLICY workflow_executions_select_client ON agency.workflow_executions FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS workflow_executions_insert_client ON agency.workflow_executions;
CREATE POLICY workflow_executions_insert_client ON agency.workflow_executions FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS workflow_executions_update_client ON agency.workflow_executions;
CREATE POLICY workflow_executions_update_client ON agency.workflow_executions FOR UPDATE TO app_rw, app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])))
    WITH CHECK (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));
DROP POLICY IF EXISTS workflow_executions_delete_client ON agency.workflow_executions;
CREATE POLICY workflow_executions_delete_client ON agency.workflow_executions FOR DELETE TO app_owner
    USING (organization_id = (SELECT app.current_org_id())
        AND ((SELECT app.current_user_is_admin()) OR client_id = ANY ((SELECT agency.visible_client_ids())::uuid [])));

-- Why: the owner's explicit opt-out (app.all_tenants = 'on'), for migrations and backfills across tenants.
DROP POLICY IF EXISTS workflow_executions_all_cross_tenant ON agency.workflow_executions;
CREATE POLICY workflow_executions_all_cross_tenant ON agency.workflow_executions FOR ALL TO app_owner
    USING ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on')
    WITH CHECK ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on');
