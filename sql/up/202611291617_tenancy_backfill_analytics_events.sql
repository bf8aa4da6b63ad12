-- Migration: tenancy_backfill_analytics_events
-- Step 2 of the tenancy retrofit: sets analytics_events.organization_id in batches of 5000 rows, each batch its
-- own short transaction, 50 ms apart (the organization of its business; analytics events without a business are system-wide and stay NULL).
-- The keyset idiom: each batch walks the next 5000 keys (an index range, never a scan of
-- the done rows); rows written meanwhile are attributed by the fill trigger. A row no rule
-- attributes stays NULL and is reported by the validation in 202611291622 (give it a business_id).
-- Locks: ROW EXCLUSIVE on conversational.analytics_events, per batch (row locks on at most 5000 rows)
-- dbrun: batch size=5000 pause=50ms
UPDATE conversational.analytics_events AS t
SET organization_id = coalesce(t.organization_id, conversational.organization_of_business(t.business_id))
WHERE t.id IN (SELECT s.id FROM conversational.analytics_events AS s WHERE s.id > coalesce(:last, 0) ORDER BY s.id LIMIT :size)
RETURNING t.id;
