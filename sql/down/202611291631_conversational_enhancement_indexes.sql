-- Migration: conversational_enhancement_indexes
-- Drops the indexes the up file built, CONCURRENTLY.
-- Locks: SHARE UPDATE EXCLUSIVE on conversational.conversations, messages, conversation_memory (DROP INDEX CONCURRENTLY)
-- dbrun: transactional=false

DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_conversation_memory_organization_id_session_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_messages_organization_id_session_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_conversations_organization_id_session_id;
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_conversations_model_id;
