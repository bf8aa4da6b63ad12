-- Seed: agency integration-event partitions for the seeded months
-- The event months of seeds/50_agency.sql may be in the past: their partitions are created
-- idempotently. A file of its own, ahead of the rows: on Citus `dbrun seed` commits each file apart,
-- and the function runs as the owner role (SECURITY DEFINER), which Citus lets write the tenant
-- tables' shards only in a transaction where the migrator has not written them.

-- Why: the event months of this seed may be in the past; partitions are created idempotently.
SELECT pg_catalog.count(*) FROM agency.create_integration_event_partitions(0, '2026-11-01 00:00:00+00');
