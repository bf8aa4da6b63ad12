-- Migration: tenancy_backfill_users
-- Step 2 of the tenancy retrofit: sets users.organization_id in batches of 5000 rows, each batch its
-- own short transaction, 50 ms apart (the organization of its business_id, else of the first business it owns). The ctid idiom: a row leaves the set once
-- attributed; a row no rule can attribute is skipped (never retried forever) and is reported by the
-- validation in 202611291622 (attribute it by hand: set its business_id).
-- Locks: ROW EXCLUSIVE on conversational.users, per batch (row locks on at most 5000 rows)
-- dbrun: batch size=5000 pause=50ms
UPDATE conversational.users AS t
SET organization_id = coalesce(conversational.organization_of_business(t.business_id), (SELECT b.organization_id FROM conversational.businesses AS b WHERE b.owner_id = t.id ORDER BY b.id LIMIT 1))
WHERE t.ctid = ANY (ARRAY(
    SELECT s.ctid FROM conversational.users AS s
    WHERE s.organization_id IS NULL AND coalesce(conversational.organization_of_business(s.business_id), (SELECT b.organization_id FROM conversational.businesses AS b WHERE b.owner_id = s.id ORDER BY b.id LIMIT 1)) IS NOT NULL
    LIMIT :size
));
