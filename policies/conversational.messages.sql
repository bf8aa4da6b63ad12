-- Policies: conversational.messages
-- Who sees what: app_rw, app_ro and the owner see rows of the current tenant only (FORCE RLS); with no
-- tenant set, nothing. app_rw reads and writes them (never the key or the tenant); app_ro reads every column but pii ones.

REVOKE ALL ON conversational.messages FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON conversational.messages TO app_rw;
GRANT UPDATE (
    conversation_id, user_id, channel, message_text, is_from_user, intent, message_type, session_id
) ON conversational.messages TO app_rw;
GRANT SELECT (
    id, conversation_id, channel, message_text, is_from_user, intent, created_at, organization_id,
    message_type, session_id
) ON conversational.messages TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS messages_select_tenant ON conversational.messages;
CREATE POLICY messages_select_tenant ON conversational.messages FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS messages_insert_tenant ON conversational.messages;
CREATE POLICY messages_insert_tenant ON conversational.messages FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS messages_update_tenant ON conversational.messages;
CREATE POLICY messages_update_tenant ON conversational.messages FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS messages_delete_tenant ON conversational.messages;
CREATE POLICY messages_delete_tenant ON conversational.messages FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: the owner's explicit opt-out (app.all_tenants = 'on', set for a maintenance session such as a
-- backfill run by the migrator); the setting means nothing to app_rw and app_ro.
DROP POLICY IF EXISTS messages_all_cross_tenant ON conversational.messages;
CREATE POLICY messages_all_cross_tenant ON conversational.messages FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
