-- Migration: tenancy_validate_keys
-- Step 4c of the tenancy retrofit: validates the foreign keys of 202611291624 (a scan under SHARE
-- UPDATE EXCLUSIVE on the child and ROW SHARE on the parent: reads and writes continue). The check
-- reads core.organizations as the owner, whom FORCE RLS filters: it uses the owner's explicit
-- cross-tenant opt-out (app.all_tenants, this transaction only) through organizations_select_cross_tenant,
-- created here because it is needed before the policies are applied (policies/core.organizations.sql
-- declares the same policy, so the repeatable converges on it).
-- Locks: SHARE UPDATE EXCLUSIVE on the ten conversational tables (VALIDATE CONSTRAINT); ROW SHARE on core.organizations; ACCESS EXCLUSIVE (catalog only) on core.organizations (CREATE POLICY)

SET LOCAL ROLE app_owner;

-- Why: without it the owner sees no organization and every key looks dangling (23503).
DROP POLICY IF EXISTS organizations_select_cross_tenant ON core.organizations;
CREATE POLICY organizations_select_cross_tenant ON core.organizations FOR SELECT TO app_owner
    USING ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on');
SELECT pg_catalog.set_config('app.all_tenants', 'on', true);

ALTER TABLE conversational.users VALIDATE CONSTRAINT fk_users_organization_id;
ALTER TABLE conversational.businesses VALIDATE CONSTRAINT fk_businesses_organization_id;
ALTER TABLE conversational.channel_integrations VALIDATE CONSTRAINT fk_channel_integrations_organization_id;
ALTER TABLE conversational.conversations VALIDATE CONSTRAINT fk_conversations_organization_id;
ALTER TABLE conversational.messages VALIDATE CONSTRAINT fk_messages_organization_id;
ALTER TABLE conversational.leads VALIDATE CONSTRAINT fk_leads_organization_id;
ALTER TABLE conversational.knowledge_entries VALIDATE CONSTRAINT fk_knowledge_entries_organization_id;
ALTER TABLE conversational.conversation_memory VALIDATE CONSTRAINT fk_conversation_memory_organization_id;
ALTER TABLE conversational.analytics_events VALIDATE CONSTRAINT fk_analytics_events_organization_id;
ALTER TABLE conversational.ad_assets VALIDATE CONSTRAINT fk_ad_assets_organization_id;
ALTER TABLE conversational.users VALIDATE CONSTRAINT fk_users_organization_id_business_id;
ALTER TABLE conversational.businesses VALIDATE CONSTRAINT fk_businesses_organization_id_owner_id;
ALTER TABLE conversational.channel_integrations VALIDATE CONSTRAINT fk_channel_integrations_organization_id_business_id;
ALTER TABLE conversational.conversations VALIDATE CONSTRAINT fk_conversations_organization_id_business_id;
ALTER TABLE conversational.messages VALIDATE CONSTRAINT fk_messages_organization_id_conversation_id;
ALTER TABLE conversational.leads VALIDATE CONSTRAINT fk_leads_organization_id_business_id;
ALTER TABLE conversational.knowledge_entries VALIDATE CONSTRAINT fk_knowledge_entries_organization_id_business_id;
ALTER TABLE conversational.conversation_memory VALIDATE CONSTRAINT fk_conversation_memory_organization_id_business_id;
ALTER TABLE conversational.analytics_events VALIDATE CONSTRAINT fk_analytics_events_organization_id_business_id;
ALTER TABLE conversational.ad_assets VALIDATE CONSTRAINT fk_ad_assets_organization_id_business_id;

RESET ROLE;
