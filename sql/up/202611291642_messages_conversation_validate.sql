-- Migration: messages_conversation_validate
-- Breaking change, step 4: validates ck_messages_conversation_id_present over the existing rows (a
-- scan under SHARE UPDATE EXCLUSIVE: reads and writes continue). From here every message names its
-- conversation; readers may rely on it. The contract step (dropping the dual-write trigger once no
-- writer omits conversation_id) comes after the compatibility window: see the playbook.
-- Locks: SHARE UPDATE EXCLUSIVE on conversational.messages (VALIDATE CONSTRAINT)

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.messages VALIDATE CONSTRAINT ck_messages_conversation_id_present;

RESET ROLE;
