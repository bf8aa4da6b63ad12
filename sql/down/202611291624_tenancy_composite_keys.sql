-- Migration: tenancy_composite_keys
-- Drops the foreign keys and the unique constraints the up file added, then rebuilds the plain unique
-- indexes of 202611291623 CONCURRENTLY (DROP CONSTRAINT drops the index it adopted). Non-transactional
-- and re-runnable (IF EXISTS / IF NOT EXISTS).
-- Locks: ACCESS EXCLUSIVE (catalog only) on the ten conversational tables (DROP CONSTRAINT); SHARE UPDATE EXCLUSIVE (CREATE INDEX CONCURRENTLY)
-- dbrun: transactional=false

ALTER TABLE conversational.ad_assets DROP CONSTRAINT IF EXISTS fk_ad_assets_organization_id_business_id;
ALTER TABLE conversational.analytics_events DROP CONSTRAINT IF EXISTS fk_analytics_events_organization_id_business_id;
ALTER TABLE conversational.conversation_memory DROP CONSTRAINT IF EXISTS fk_conversation_memory_organization_id_business_id;
ALTER TABLE conversational.knowledge_entries DROP CONSTRAINT IF EXISTS fk_knowledge_entries_organization_id_business_id;
ALTER TABLE conversational.leads DROP CONSTRAINT IF EXISTS fk_leads_organization_id_business_id;
ALTER TABLE conversational.messages DROP CONSTRAINT IF EXISTS fk_messages_organization_id_conversation_id;
ALTER TABLE conversational.conversations DROP CONSTRAINT IF EXISTS fk_conversations_organization_id_business_id;
ALTER TABLE conversational.channel_integrations DROP CONSTRAINT IF EXISTS fk_channel_integrations_organization_id_business_id;
ALTER TABLE conversational.businesses DROP CONSTRAINT IF EXISTS fk_businesses_organization_id_owner_id;
ALTER TABLE conversational.users DROP CONSTRAINT IF EXISTS fk_users_organization_id_business_id;
ALTER TABLE conversational.ad_assets DROP CONSTRAINT IF EXISTS fk_ad_assets_organization_id;
ALTER TABLE conversational.analytics_events DROP CONSTRAINT IF EXISTS fk_analytics_events_organization_id;
ALTER TABLE conversational.conversation_memory DROP CONSTRAINT IF EXISTS fk_conversation_memory_organization_id;
ALTER TABLE conversational.knowledge_entries DROP CONSTRAINT IF EXISTS fk_knowledge_entries_organization_id;
ALTER TABLE conversational.leads DROP CONSTRAINT IF EXISTS fk_leads_organization_id;
ALTER TABLE conversational.messages DROP CONSTRAINT IF EXISTS fk_messages_organization_id;
ALTER TABLE conversational.conversations DROP CONSTRAINT IF EXISTS fk_conversations_organization_id;
ALTER TABLE conversational.channel_integrations DROP CONSTRAINT IF EXISTS fk_channel_integrations_organization_id;
ALTER TABLE conversational.businesses DROP CONSTRAINT IF EXISTS fk_businesses_organization_id;
ALTER TABLE conversational.users DROP CONSTRAINT IF EXISTS fk_users_organization_id;
ALTER TABLE conversational.users DROP CONSTRAINT IF EXISTS uq_users_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_users_organization_id_id ON conversational.users (organization_id, id);
ALTER TABLE conversational.businesses DROP CONSTRAINT IF EXISTS uq_businesses_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_businesses_organization_id_id ON conversational.businesses (organization_id, id);
ALTER TABLE conversational.channel_integrations DROP CONSTRAINT IF EXISTS uq_channel_integrations_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_channel_integrations_organization_id_id ON conversational.channel_integrations (organization_id, id);
ALTER TABLE conversational.conversations DROP CONSTRAINT IF EXISTS uq_conversations_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_conversations_organization_id_id ON conversational.conversations (organization_id, id);
ALTER TABLE conversational.messages DROP CONSTRAINT IF EXISTS uq_messages_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_messages_organization_id_id ON conversational.messages (organization_id, id);
ALTER TABLE conversational.leads DROP CONSTRAINT IF EXISTS uq_leads_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_leads_organization_id_id ON conversational.leads (organization_id, id);
ALTER TABLE conversational.knowledge_entries DROP CONSTRAINT IF EXISTS uq_knowledge_entries_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_knowledge_entries_organization_id_id ON conversational.knowledge_entries (organization_id, id);
ALTER TABLE conversational.conversation_memory DROP CONSTRAINT IF EXISTS uq_conversation_memory_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_conversation_memory_organization_id_id ON conversational.conversation_memory (organization_id, id);
ALTER TABLE conversational.analytics_events DROP CONSTRAINT IF EXISTS uq_analytics_events_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_analytics_events_organization_id_id ON conversational.analytics_events (organization_id, id);
ALTER TABLE conversational.ad_assets DROP CONSTRAINT IF EXISTS uq_ad_assets_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_ad_assets_organization_id_id ON conversational.ad_assets (organization_id, id);
