-- Seed: usage rollups (the refresh of the events of seeds/40_usage.sql)
-- Idempotent: refreshes whatever is marked dirty. A file of its own so that on Citus the refresh (as
-- the owner role) commits apart from the migrator's writes of the events (seeds/40_usage.sql) and of
-- the corrections (seeds/42_usage_corrections.sql).

-- Why: the dashboards read rollups; compute every dirty bucket once.
SELECT r.buckets > 0 AS refreshed FROM usage.refresh_rollups() AS r;
