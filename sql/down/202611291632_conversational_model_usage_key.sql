-- Migration: conversational_model_usage_key
-- Drops the foreign key the up file added.
-- Locks: SHARE ROW EXCLUSIVE on conversational.conversations and core.models (DROP CONSTRAINT)

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.conversations DROP CONSTRAINT fk_conversations_model_id;

RESET ROLE;
