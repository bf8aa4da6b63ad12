-- Migration: messages_conversation_validate
-- Marks the CHECK NOT VALID again (drop and re-add NOT VALID: no scan), the state before the up file.
-- Locks: ACCESS EXCLUSIVE (catalog only) on conversational.messages (DROP/ADD CONSTRAINT NOT VALID)

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.messages
    DROP CONSTRAINT ck_messages_conversation_id_present, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_messages_conversation_id_present CHECK (conversation_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_messages_conversation_id_present ON conversational.messages IS
    'conversation_id is required (the frozen column stays nullable in the catalog; this CHECK is the contract).';

RESET ROLE;
