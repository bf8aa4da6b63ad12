-- Migration: messages_conversation_required_expand
-- Drops the CHECK, the dual-write trigger and the functions the up file added.
-- Locks: ACCESS EXCLUSIVE (catalog only) on conversational.messages (DROP CONSTRAINT, DROP TRIGGER)

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.messages DROP CONSTRAINT ck_messages_conversation_id_present;
DROP TRIGGER trg_messages_conversation_dual_write ON conversational.messages;
DROP FUNCTION conversational.tg_messages_conversation_dual_write();
DROP FUNCTION conversational.conversation_for_message(uuid, text, text, text, timestamptz, text, boolean);

RESET ROLE;
