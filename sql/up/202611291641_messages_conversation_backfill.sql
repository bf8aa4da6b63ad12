-- Migration: messages_conversation_backfill
-- Breaking change, step 3: attaches every message written without a conversation to one, by the
-- same rule as the dual-write trigger, 2000 rows per transaction, 50 ms apart. A message leaves the
-- set once attached. The tables force RLS: run it as the superuser, or as the migrator with the
-- owner's opt-out for the session (PGOPTIONS='-c app.all_tenants=on'; policies *_all_cross_tenant).
-- Locks: ROW EXCLUSIVE on conversational.messages and conversational.conversations, per batch
-- dbrun: batch size=2000 pause=50ms
UPDATE conversational.messages AS m
SET conversation_id = conversational.conversation_for_message(
    m.organization_id, m.user_id, m.channel, m.session_id, m.created_at, m.message_text, m.is_from_user)
WHERE m.ctid = ANY (ARRAY(
    SELECT s.ctid FROM conversational.messages AS s
    WHERE s.conversation_id IS NULL AND s.organization_id IS NOT NULL
    LIMIT :size
));
