-- Policies: conversational.conversations
-- Who sees what: app_rw, app_ro and the owner see rows of the current tenant only (FORCE RLS); with no
-- tenant set, nothing. app_rw reads and writes them (never the key or the tenant); app_ro reads every column but pii ones.

REVOKE ALL ON conversational.conversations FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON conversational.conversations TO app_rw;
GRANT UPDATE (
    user_id, channel, user_message, bot_reply, intent, business_id, session_id, model_id, model_name,
    tokens_used
) ON conversational.conversations TO app_rw;
GRANT SELECT (
    id, channel, user_message, bot_reply, intent, created_at, organization_id, business_id, session_id,
    model_id, model_name, tokens_used
) ON conversational.conversations TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS conversations_select_tenant ON conversational.conversations;
CREATE POLICY conversations_select_tenant ON conversational.conversations FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS conversations_insert_tenant ON conversational.conversations;
CREATE POLICY conversations_insert_tenant ON conversational.conversations FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS conversations_update_tenant ON conversational.conversations;
CREATE POLICY conversations_update_tenant ON conversational.conversations FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS conversations_delete_tenant ON conversational.conversations;
CREATE POLICY conversations_delete_tenant ON conversational.conversations FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: the owner's explicit opt-out (app.all_tenants = 'on', set for a maintenance session such as a
-- backfill run by the migrator); the setting means nothing to app_rw and app_ro.
DROP POLICY IF EXISTS conversations_all_cross_tenant ON conversational.conversations;
CREATE POLICY conversations_all_cross_tenant ON conversational.conversations FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
