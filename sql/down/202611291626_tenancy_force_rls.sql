-- Migration: tenancy_force_rls
-- Removes what policies/conversational.<table>.sql granted and created (the policies read organization_id,
-- which 202611291610's down drops) and stops forcing RLS.
-- Locks: ACCESS EXCLUSIVE (catalog only) on the ten conversational tables (DROP POLICY, NO FORCE ROW LEVEL SECURITY)

SET LOCAL ROLE app_owner;

REVOKE ALL ON conversational.users FROM app_rw, app_ro, app_auth;
DROP POLICY IF EXISTS users_select_tenant ON conversational.users;
DROP POLICY IF EXISTS users_insert_tenant ON conversational.users;
DROP POLICY IF EXISTS users_update_tenant ON conversational.users;
DROP POLICY IF EXISTS users_delete_tenant ON conversational.users;
DROP POLICY IF EXISTS users_all_cross_tenant ON conversational.users;
ALTER TABLE conversational.users NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON conversational.businesses FROM app_rw, app_ro, app_auth;
DROP POLICY IF EXISTS businesses_select_tenant ON conversational.businesses;
DROP POLICY IF EXISTS businesses_insert_tenant ON conversational.businesses;
DROP POLICY IF EXISTS businesses_update_tenant ON conversational.businesses;
DROP POLICY IF EXISTS businesses_delete_tenant ON conversational.businesses;
DROP POLICY IF EXISTS businesses_all_cross_tenant ON conversational.businesses;
ALTER TABLE conversational.businesses NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON conversational.channel_integrations FROM app_rw, app_ro, app_auth;
DROP POLICY IF EXISTS channel_integrations_select_tenant ON conversational.channel_integrations;
DROP POLICY IF EXISTS channel_integrations_insert_tenant ON conversational.channel_integrations;
DROP POLICY IF EXISTS channel_integrations_update_tenant ON conversational.channel_integrations;
DROP POLICY IF EXISTS channel_integrations_delete_tenant ON conversational.channel_integrations;
DROP POLICY IF EXISTS channel_integrations_all_cross_tenant ON conversational.channel_integrations;
ALTER TABLE conversational.channel_integrations NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON conversational.conversations FROM app_rw, app_ro, app_auth;
DROP POLICY IF EXISTS conversations_select_tenant ON conversational.conversations;
DROP POLICY IF EXISTS conversations_insert_tenant ON conversational.conversations;
DROP POLICY IF EXISTS conversations_update_tenant ON conversational.conversations;
DROP POLICY IF EXISTS conversations_delete_tenant ON conversational.conversations;
DROP POLICY IF EXISTS conversations_all_cross_tenant ON conversational.conversations;
ALTER TABLE conversational.conversations NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON conversational.messages FROM app_rw, app_ro, app_auth;
DROP POLICY IF EXISTS messages_select_tenant ON conversational.messages;
DROP POLICY IF EXISTS messages_insert_tenant ON conversational.messages;
DROP POLICY IF EXISTS messages_update_tenant ON conversational.messages;
DROP POLICY IF EXISTS messages_delete_tenant ON conversational.messages;
DROP POLICY IF EXISTS messages_all_cross_tenant ON conversational.messages;
ALTER TABLE conversational.messages NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON conversational.leads FROM app_rw, app_ro, app_auth;
DROP POLICY IF EXISTS leads_select_tenant ON conversational.leads;
DROP POLICY IF EXISTS leads_insert_tenant ON conversational.leads;
DROP POLICY IF EXISTS leads_update_tenant ON conversational.leads;
DROP POLICY IF EXISTS leads_delete_tenant ON conversational.leads;
DROP POLICY IF EXISTS leads_all_cross_tenant ON conversational.leads;
ALTER TABLE conversational.leads NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON conversational.knowledge_entries FROM app_rw, app_ro, app_auth;
DROP POLICY IF EXISTS knowledge_entries_select_tenant ON conversational.knowledge_entries;
DROP POLICY IF EXISTS knowledge_entries_insert_tenant ON conversational.knowledge_entries;
DROP POLICY IF EXISTS knowledge_entries_update_tenant ON conversational.knowledge_entries;
DROP POLICY IF EXISTS knowledge_entries_delete_tenant ON conversational.knowledge_entries;
DROP POLICY IF EXISTS knowledge_entries_all_cross_tenant ON conversational.knowledge_entries;
ALTER TABLE conversational.knowledge_entries NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON conversational.conversation_memory FROM app_rw, app_ro, app_auth;
DROP POLICY IF EXISTS conversation_memory_select_tenant ON conversational.conversation_memory;
DROP POLICY IF EXISTS conversation_memory_insert_tenant ON conversational.conversation_memory;
DROP POLICY IF EXISTS conversation_memory_update_tenant ON conversational.conversation_memory;
DROP POLICY IF EXISTS conversation_memory_delete_tenant ON conversational.conversation_memory;
DROP POLICY IF EXISTS conversation_memory_all_cross_tenant ON conversational.conversation_memory;
ALTER TABLE conversational.conversation_memory NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON conversational.analytics_events FROM app_rw, app_ro, app_auth;
DROP POLICY IF EXISTS analytics_events_select_tenant ON conversational.analytics_events;
DROP POLICY IF EXISTS analytics_events_insert_tenant ON conversational.analytics_events;
DROP POLICY IF EXISTS analytics_events_update_tenant ON conversational.analytics_events;
DROP POLICY IF EXISTS analytics_events_delete_tenant ON conversational.analytics_events;
DROP POLICY IF EXISTS analytics_events_all_cross_tenant ON conversational.analytics_events;
ALTER TABLE conversational.analytics_events NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON conversational.ad_assets FROM app_rw, app_ro, app_auth;
DROP POLICY IF EXISTS ad_assets_select_tenant ON conversational.ad_assets;
DROP POLICY IF EXISTS ad_assets_insert_tenant ON conversational.ad_assets;
DROP POLICY IF EXISTS ad_assets_update_tenant ON conversational.ad_assets;
DROP POLICY IF EXISTS ad_assets_delete_tenant ON conversational.ad_assets;
DROP POLICY IF EXISTS ad_assets_all_cross_tenant ON conversational.ad_assets;
ALTER TABLE conversational.ad_assets NO FORCE ROW LEVEL SECURITY;

RESET ROLE;
