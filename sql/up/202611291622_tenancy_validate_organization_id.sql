-- Migration: tenancy_validate_organization_id
-- Step 3b of the tenancy retrofit: VALIDATE scans each table under SHARE UPDATE EXCLUSIVE (reads and
-- writes continue). A row the backfill could not attribute fails it with 23514 naming the constraint.
-- Locks: SHARE UPDATE EXCLUSIVE on the ten conversational tables (VALIDATE CONSTRAINT)

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.users VALIDATE CONSTRAINT ck_users_organization_id_present;
ALTER TABLE conversational.businesses VALIDATE CONSTRAINT ck_businesses_organization_id_present;
ALTER TABLE conversational.channel_integrations VALIDATE CONSTRAINT ck_channel_integrations_organization_id_present;
ALTER TABLE conversational.conversations VALIDATE CONSTRAINT ck_conversations_organization_id_present;
ALTER TABLE conversational.messages VALIDATE CONSTRAINT ck_messages_organization_id_present;
ALTER TABLE conversational.leads VALIDATE CONSTRAINT ck_leads_organization_id_present;
ALTER TABLE conversational.knowledge_entries VALIDATE CONSTRAINT ck_knowledge_entries_organization_id_present;
ALTER TABLE conversational.conversation_memory VALIDATE CONSTRAINT ck_conversation_memory_organization_id_present;
ALTER TABLE conversational.analytics_events VALIDATE CONSTRAINT ck_analytics_events_organization_id_present;
ALTER TABLE conversational.ad_assets VALIDATE CONSTRAINT ck_ad_assets_organization_id_present;

RESET ROLE;
