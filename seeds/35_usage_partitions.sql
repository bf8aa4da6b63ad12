-- Seed: usage partitions for the seeded months
-- The months of seeds/40_usage.sql (from 2026-10) may be in the past: their partitions are created
-- idempotently. A file of its own, ahead of the events: on Citus `dbrun seed` commits each file apart,
-- and the function runs as the owner role (SECURITY DEFINER), which Citus lets write the tenant
-- tables' shards only in a transaction where the migrator has not written them.

-- Why: the seed's months may be in the past; partitions are created idempotently.
SELECT pg_catalog.count(*) FROM usage.create_event_partitions(1, '2026-10-01 00:00:00+00');
