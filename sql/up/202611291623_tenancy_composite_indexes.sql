-- Migration: tenancy_composite_indexes
-- Step 4a of the tenancy retrofit: the unique (organization_id, id) index of every table (the target
-- of composite foreign keys) and the (organization_id, parent) index of every composite foreign key,
-- built CONCURRENTLY: SHARE UPDATE EXCLUSIVE, reads and writes continue. Each statement is
-- re-runnable (a failed build leaves an INVALID index that dbrun detects; it is dropped first).
-- Locks: SHARE UPDATE EXCLUSIVE on the ten conversational tables (CREATE INDEX CONCURRENTLY)
-- dbrun: transactional=false

DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_users_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_users_organization_id_id ON conversational.users (organization_id, id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_users_organization_id_business_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_organization_id_business_id ON conversational.users (organization_id, business_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_businesses_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_businesses_organization_id_id ON conversational.businesses (organization_id, id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_businesses_organization_id_owner_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_businesses_organization_id_owner_id ON conversational.businesses (organization_id, owner_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_channel_integrations_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_channel_integrations_organization_id_id ON conversational.channel_integrations (organization_id, id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_channel_integrations_organization_id_business_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_channel_integrations_organization_id_business_id ON conversational.channel_integrations (organization_id, business_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_conversations_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_conversations_organization_id_id ON conversational.conversations (organization_id, id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_conversations_organization_id_business_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversations_organization_id_business_id ON conversational.conversations (organization_id, business_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_messages_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_messages_organization_id_id ON conversational.messages (organization_id, id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_messages_organization_id_conversation_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_organization_id_conversation_id ON conversational.messages (organization_id, conversation_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_leads_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_leads_organization_id_id ON conversational.leads (organization_id, id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_leads_organization_id_business_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_leads_organization_id_business_id ON conversational.leads (organization_id, business_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_knowledge_entries_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_knowledge_entries_organization_id_id ON conversational.knowledge_entries (organization_id, id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_knowledge_entries_organization_id_business_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_knowledge_entries_organization_id_business_id ON conversational.knowledge_entries (organization_id, business_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_conversation_memory_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_conversation_memory_organization_id_id ON conversational.conversation_memory (organization_id, id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_conversation_memory_organization_id_business_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_memory_organization_id_business_id ON conversational.conversation_memory (organization_id, business_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_analytics_events_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_analytics_events_organization_id_id ON conversational.analytics_events (organization_id, id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_analytics_events_organization_id_business_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_analytics_events_organization_id_business_id ON conversational.analytics_events (organization_id, business_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_ad_assets_organization_id_id;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_ad_assets_organization_id_id ON conversational.ad_assets (organization_id, id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_ad_assets_organization_id_business_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ad_assets_organization_id_business_id ON conversational.ad_assets (organization_id, business_id);
