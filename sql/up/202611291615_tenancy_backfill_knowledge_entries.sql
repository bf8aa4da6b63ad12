-- Migration: tenancy_backfill_knowledge_entries
-- Step 2 of the tenancy retrofit: sets knowledge_entries.organization_id in batches of 5000 rows, each batch its
-- own short transaction, 50 ms apart (the organization of its business). The ctid idiom: a row leaves the set once
-- attributed; a row no rule can attribute is skipped (never retried forever) and is reported by the
-- validation in 202611291622 (attribute it by hand: set its business_id).
-- Locks: ROW EXCLUSIVE on conversational.knowledge_entries, per batch (row locks on at most 5000 rows)
-- dbrun: batch size=5000 pause=50ms
UPDATE conversational.knowledge_entries AS t
SET organization_id = conversational.organization_of_business(t.business_id)
WHERE t.ctid = ANY (ARRAY(
    SELECT s.ctid FROM conversational.knowledge_entries AS s
    WHERE s.organization_id IS NULL AND conversational.organization_of_business(s.business_id) IS NOT NULL
    LIMIT :size
));
