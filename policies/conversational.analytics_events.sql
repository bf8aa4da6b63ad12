-- Policies: conversational.analytics_events
-- Who sees what: app_rw, app_ro and the owner see rows of the current tenant only (FORCE RLS); with no
-- tenant set, nothing. app_rw reads and writes them (never the key or the tenant); app_ro reads every column but pii ones.

REVOKE ALL ON conversational.analytics_events FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON conversational.analytics_events TO app_rw;
GRANT UPDATE (
    business_id, event_type, event_data, channel, user_id, event_category, event_value
) ON conversational.analytics_events TO app_rw;
GRANT SELECT (
    id, business_id, event_type, event_data, channel, created_at, organization_id, event_category,
    event_value
) ON conversational.analytics_events TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS analytics_events_select_tenant ON conversational.analytics_events;
CREATE POLICY analytics_events_select_tenant ON conversational.analytics_events FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS analytics_events_insert_tenant ON conversational.analytics_events;
CREATE POLICY analytics_events_insert_tenant ON conversational.analytics_events FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS analytics_events_update_tenant ON conversational.analytics_events;
CREATE POLICY analytics_events_update_tenant ON conversational.analytics_events FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS analytics_events_delete_tenant ON conversational.analytics_events;
CREATE POLICY analytics_events_delete_tenant ON conversational.analytics_events FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: the owner's explicit opt-out (app.all_tenants = 'on', set for a maintenance session such as a
-- backfill run by the migrator); the setting means nothing to app_rw and app_ro.
DROP POLICY IF EXISTS analytics_events_all_cross_tenant ON conversational.analytics_events;
CREATE POLICY analytics_events_all_cross_tenant ON conversational.analytics_events FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
