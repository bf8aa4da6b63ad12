-- Policies: governance.erasure_requests
-- Who sees what: app_rw, app_ro and the owner see requests of the current tenant only; with no
-- tenant set, nothing. app_rw records requests and rejects them; completion goes only through
-- governance.complete_erasure_request (SECURITY DEFINER as the owner, to which these same tenant
-- policies apply; trg_erasure_requests_guard refuses 'completed' from anything else). Requests are
-- evidence: nobody but the owner's retention job (governance.apply_retention) deletes them.

REVOKE ALL ON governance.erasure_requests FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON governance.erasure_requests TO app_rw;
GRANT UPDATE (status, reason, completed_at) ON governance.erasure_requests TO app_rw;
GRANT SELECT ON governance.erasure_requests TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS erasure_requests_select_tenant ON governance.erasure_requests;
CREATE POLICY erasure_requests_select_tenant ON governance.erasure_requests FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS erasure_requests_insert_tenant ON governance.erasure_requests;
CREATE POLICY erasure_requests_insert_tenant ON governance.erasure_requests FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS erasure_requests_update_tenant ON governance.erasure_requests;
CREATE POLICY erasure_requests_update_tenant ON governance.erasure_requests FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS erasure_requests_delete_tenant ON governance.erasure_requests;
CREATE POLICY erasure_requests_delete_tenant ON governance.erasure_requests FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: platform jobs (governance.apply_retention(), app.schema_health()) read and act across
-- tenants; only the owner, only with its explicit opt-out set for the call (see usage rollups).
DROP POLICY IF EXISTS erasure_requests_all_cross_tenant ON governance.erasure_requests;
CREATE POLICY erasure_requests_all_cross_tenant ON governance.erasure_requests FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
