-- Migration: tenancy_force_rls
-- Stops forcing RLS (the policies files' grants and policies are dropped by 202611291600's down with the tables).
-- Locks: ACCESS EXCLUSIVE (catalog only) on the ten conversational tables (NO FORCE ROW LEVEL SECURITY)

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.businesses NO FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.channel_integrations NO FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.conversations NO FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.messages NO FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.leads NO FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.knowledge_entries NO FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.conversation_memory NO FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.analytics_events NO FORCE ROW LEVEL SECURITY;
ALTER TABLE conversational.ad_assets NO FORCE ROW LEVEL SECURITY;

RESET ROLE;
