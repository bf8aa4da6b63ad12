-- Policies: agency.integration_events (and every partition of it)
-- Who sees what: the event log is agency-level infrastructure, not a client's record: app_rw, app_ro
-- and the owner see events of the current tenant (no user needed: processors are services); with no
-- tenant set, nothing. app_rw writes events and their processing state (through
-- agency.claim_integration_events() or directly), never their key, type or payload; nobody deletes
-- rows (retention drops whole partitions). Partitions: usage.police_partitions() copies these
-- policies onto every partition, forces RLS there and revokes every app-role privilege on them.

REVOKE ALL ON agency.integration_events FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON agency.integration_events TO app_rw;
GRANT UPDATE (processing_status, processing_error, processed_at, claimed_by, claimed_at, attempts)
    ON agency.integration_events TO app_rw;
GRANT SELECT ON agency.integration_events TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS integration_events_select_tenant ON agency.integration_events;
CREATE POLICY integration_events_select_tenant ON agency.integration_events FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS integration_events_insert_tenant ON agency.integration_events;
CREATE POLICY integration_events_insert_tenant ON agency.integration_events FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS integration_events_update_tenant ON agency.integration_events;
CREATE POLICY integration_events_update_tenant ON agency.integration_events FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS integration_events_delete_tenant ON agency.integration_events;
CREATE POLICY integration_events_delete_tenant ON agency.integration_events FOR DELETE TO app_owner
    USING (organization_id = app.current_org_id());

-- Why: the owner's explicit opt-out (app.all_tenants = 'on'), for migrations and backfills across tenants.
DROP POLICY IF EXISTS integration_events_all_cross_tenant ON agency.integration_events;
CREATE POLICY integration_events_all_cross_tenant ON agency.integration_events FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');

-- Why: the same truth on every partition, and no direct path into one for the app roles.
SELECT usage.police_partitions('agency.integration_events');
