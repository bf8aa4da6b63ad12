-- Migration: conversational_enhancement_indexes
-- Indexes for the enhancement columns, built CONCURRENTLY (reads and writes continue): the model of
-- a conversation (the foreign key of 202611291632 needs it) and the session threads, per tenant.
-- Locks: SHARE UPDATE EXCLUSIVE on conversational.conversations, messages, conversation_memory (CREATE INDEX CONCURRENTLY)
-- dbrun: transactional=false

DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_conversations_model_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversations_model_id ON conversational.conversations (model_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_conversations_organization_id_session_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversations_organization_id_session_id
    ON conversational.conversations (organization_id, session_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_messages_organization_id_session_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_organization_id_session_id
    ON conversational.messages (organization_id, session_id);
DROP INDEX CONCURRENTLY IF EXISTS conversational.idx_conversation_memory_organization_id_session_id;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversation_memory_organization_id_session_id
    ON conversational.conversation_memory (organization_id, session_id);
