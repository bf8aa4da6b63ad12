-- Migration: tenancy_backfill_leads
-- Clears what the backfill set (a half-done backfill included): organization_id back to NULL. Its
-- CHECK (202611291621) is gone before this runs, so no constraint refuses it.
-- Locks: ROW EXCLUSIVE on conversational.leads (one UPDATE)

UPDATE conversational.leads SET organization_id = NULL WHERE organization_id IS NOT NULL;
