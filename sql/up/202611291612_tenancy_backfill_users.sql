-- Migration: tenancy_backfill_users
-- Step 2 of the tenancy retrofit: sets users.organization_id in batches of 5000 rows, each batch its
-- own short transaction, 50 ms apart (the organization of its business_id, else of the first business it owns).
-- The keyset idiom: each batch walks the next 5000 keys (an index range, never a scan of
-- the done rows); rows written meanwhile are attributed by the fill trigger. A row no rule
-- attributes stays NULL and is reported by the validation in 202611291622 (give it a business_id).
-- Locks: ROW EXCLUSIVE on conversational.users, per batch (row locks on at most 5000 rows)
-- dbrun: batch size=5000 pause=50ms
UPDATE conversational.users AS t
SET organization_id = coalesce(t.organization_id, coalesce(conversational.organization_of_business(t.business_id), (SELECT b.organization_id FROM conversational.businesses AS b WHERE b.owner_id = t.id ORDER BY b.id LIMIT 1)))
WHERE t.id IN (SELECT s.id FROM conversational.users AS s WHERE s.id > coalesce(:last, 0) ORDER BY s.id LIMIT :size)
RETURNING t.id;
