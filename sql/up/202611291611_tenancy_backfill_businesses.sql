-- Migration: tenancy_backfill_businesses
-- Step 2 of the tenancy retrofit: sets businesses.organization_id in batches of 5000 rows, each batch its
-- own short transaction, 50 ms apart (a new organization per business).
-- The ctid idiom: a business leaves the set once it has its organization, so businesses
-- created during the backfill are picked up too.
-- Locks: ROW EXCLUSIVE on conversational.businesses, per batch (row locks on at most 5000 rows)
-- dbrun: batch size=5000 pause=50ms
UPDATE conversational.businesses AS t
SET organization_id = conversational.new_business_organization(t.id, t.name)
WHERE t.ctid = ANY (ARRAY(
    SELECT s.ctid FROM conversational.businesses AS s
    WHERE s.organization_id IS NULL AND true
    LIMIT :size
));
