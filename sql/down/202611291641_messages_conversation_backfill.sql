-- Migration: messages_conversation_backfill
-- The backfill changed data, not schema, and what it wrote stays valid under the previous schema
-- (a nullable conversation_id accepts a value); nothing tells an attached message from one written
-- with its conversation, so rolling back keeps the attachments and only refreshes the statistics.
-- Locks: SHARE UPDATE EXCLUSIVE on conversational.messages (ANALYZE)

ANALYZE conversational.messages;
