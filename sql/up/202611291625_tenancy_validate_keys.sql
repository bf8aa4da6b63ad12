-- Migration: tenancy_validate_keys
-- Step 4c of the tenancy retrofit: validates the foreign keys of 202611291624 (a scan under SHARE
-- UPDATE EXCLUSIVE on the child and ROW SHARE on the parent: reads and writes continue).
-- Locks: SHARE UPDATE EXCLUSIVE on the ten conversational tables (VALIDATE CONSTRAINT); ROW SHARE on core.organizations

SET LOCAL ROLE app_owner;

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
