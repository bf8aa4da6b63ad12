-- Migration: tenancy_composite_indexes
-- Drops the indexes the up file built, CONCURRENTLY.
-- Locks: SHARE UPDATE EXCLUSIVE on the ten conversational tables (DROP INDEX CONCURRENTLY)
-- dbrun: transactional=false

DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_users_organization_id_business_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_users_organization_id_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_businesses_organization_id_owner_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_businesses_organization_id_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_channel_integrations_organization_id_business_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_channel_integrations_organization_id_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_conversations_organization_id_business_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_conversations_organization_id_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_messages_organization_id_conversation_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_messages_organization_id_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_leads_organization_id_business_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_leads_organization_id_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_knowledge_entries_organization_id_business_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_knowledge_entries_organization_id_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_conversation_memory_organization_id_business_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_conversation_memory_organization_id_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_analytics_events_organization_id_business_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_analytics_events_organization_id_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_ad_assets_organization_id_business_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.uq_ad_assets_organization_id_id;
