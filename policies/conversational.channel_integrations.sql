-- Policies: conversational.channel_integrations
-- Who sees what: app_rw, app_ro and the owner see rows of the current tenant only (FORCE RLS); with no
-- tenant set, nothing. app_rw reads and writes them (never the key or the tenant); app_ro never sees credentials (secret); app_rw stores only envelopes or references (CHECK).

REVOKE ALL ON conversational.channel_integrations FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON conversational.channel_integrations TO app_rw;
GRANT UPDATE (
    business_id, channel, channel_name, credentials, is_active, webhook_url, updated_at, last_sync_at
) ON conversational.channel_integrations TO app_rw;
GRANT SELECT (
    id, business_id, channel, channel_name, is_active, webhook_url, created_at, updated_at,
    organization_id, last_sync_at
) ON conversational.channel_integrations TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS channel_integrations_select_tenant ON conversational.channel_integrations;
CREATE POLICY channel_integrations_select_tenant ON conversational.channel_integrations FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS channel_integrations_insert_tenant ON conversational.channel_integrations;
CREATE POLICY channel_integrations_insert_tenant ON conversational.channel_integrations FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS channel_integrations_update_tenant ON conversational.channel_integrations;
CREATE POLICY channel_integrations_update_tenant ON conversational.channel_integrations FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS channel_integrations_delete_tenant ON conversational.channel_integrations;
CREATE POLICY channel_integrations_delete_tenant ON conversational.channel_integrations FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: the owner's explicit opt-out (app.all_tenants = 'on', set for a maintenance session such as a
-- backfill run by the migrator); the setting means nothing to app_rw and app_ro.
DROP POLICY IF EXISTS channel_integrations_all_cross_tenant ON conversational.channel_integrations;
CREATE POLICY channel_integrations_all_cross_tenant ON conversational.channel_integrations FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
