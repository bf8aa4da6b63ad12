-- Migration: tenancy_force_rls
-- Step 5 of the tenancy retrofit: RLS (enabled since 202611291600) is forced, so the owner is filtered
-- too; the policies and grants are in policies/conversational.<table>.sql (applied after this file).
-- Locks: ACCESS EXCLUSIVE (catalog only) on the ten conversational tables (FORCE ROW LEVEL SECURITY)

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.users FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.businesses FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.channel_integrations FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.conversations FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.messages FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.leads FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.knowledge_entries FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.conversation_memory FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.analytics_events FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.ad_assets FORCE ROW LEVEL SECURITY;

RESET ROLE;
