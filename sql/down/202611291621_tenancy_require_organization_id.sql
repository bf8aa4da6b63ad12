-- Migration: tenancy_require_organization_id
-- Drops the CHECKs the up file added.
-- Locks: ACCESS EXCLUSIVE (catalog only) on the ten conversational tables (DROP CONSTRAINT)

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.users DROP CONSTRAINT ck_users_organization_id_present;
ALTER TABLE conversational.businesses DROP CONSTRAINT ck_businesses_organization_id_present;
ALTER TABLE conversational.channel_integrations DROP CONSTRAINT ck_channel_integrations_organization_id_present;
ALTER TABLE conversational.conversations DROP CONSTRAINT ck_conversations_organization_id_present;
ALTER TABLE conversational.messages DROP CONSTRAINT ck_messages_organization_id_present;
ALTER TABLE conversational.leads DROP CONSTRAINT ck_leads_organization_id_present;
ALTER TABLE conversational.knowledge_entries DROP CONSTRAINT ck_knowledge_entries_organization_id_present;
ALTER TABLE conversational.conversation_memory DROP CONSTRAINT ck_conversation_memory_organization_id_present;
ALTER TABLE conversational.analytics_events DROP CONSTRAINT ck_analytics_events_organization_id_present;
ALTER TABLE conversational.ad_assets DROP CONSTRAINT ck_ad_assets_organization_id_present;

RESET ROLE;
