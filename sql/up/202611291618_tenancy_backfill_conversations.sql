-- Migration: tenancy_backfill_conversations
-- Step 2 of the tenancy retrofit: sets conversations.organization_id in batches of 5000 rows, each batch its
-- own short transaction, 50 ms apart (the organization of its business_id, else of the only business with an integration on its channel). The ctid idiom: a row leaves the set once
-- attributed; a row no rule can attribute is skipped (never retried forever) and is reported by the
-- validation in 202611291622 (attribute it by hand: set its business_id).
-- Locks: ROW EXCLUSIVE on conversational.conversations, per batch (row locks on at most 5000 rows)
-- dbrun: batch size=5000 pause=50ms
UPDATE conversational.conversations AS t
SET organization_id = coalesce(conversational.organization_of_business(t.business_id), conversational.organization_of_business(conversational.business_of_channel(t.channel)))
WHERE t.ctid = ANY (ARRAY(
    SELECT s.ctid FROM conversational.conversations AS s
    WHERE s.organization_id IS NULL AND coalesce(conversational.organization_of_business(s.business_id), conversational.organization_of_business(conversational.business_of_channel(s.channel))) IS NOT NULL
    LIMIT :size
));
