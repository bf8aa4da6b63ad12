-- Migration: tenancy_backfill_conversations
-- Step 2 of the tenancy retrofit: sets conversations.organization_id in batches of 5000 rows, each batch its
-- own short transaction, 50 ms apart (the organization of its business_id, else of the only business with an integration on its channel).
-- The keyset idiom: each batch walks the next 5000 keys (an index range, never a scan of
-- the done rows); rows written meanwhile are attributed by the fill trigger. A row no rule
-- attributes stays NULL and is reported by the validation in 202611291622 (give it a business_id).
-- Locks: ROW EXCLUSIVE on conversational.conversations, per batch (row locks on at most 5000 rows)
-- dbrun: batch size=5000 pause=50ms
UPDATE conversational.conversations AS t
SET organization_id = coalesce(t.organization_id, coalesce(conversational.organization_of_business(t.business_id), conversational.organization_of_business(conversational.business_of_channel(t.channel))))
WHERE t.id IN (SELECT s.id FROM conversational.conversations AS s WHERE s.id > coalesce(:last, 0) ORDER BY s.id LIMIT :size)
RETURNING t.id;
