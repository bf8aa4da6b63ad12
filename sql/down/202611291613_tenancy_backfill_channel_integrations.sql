-- Migration: tenancy_backfill_channel_integrations
-- Clears what the backfill set (a half-done backfill included): organization_id back to NULL. Its
-- CHECK (202611291621) is gone before this runs, so no constraint refuses it.
-- Locks: ROW EXCLUSIVE on conversational.channel_integrations (one UPDATE)

UPDATE conversational.channel_integrations SET organization_id = NULL WHERE organization_id IS NOT NULL;
